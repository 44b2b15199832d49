"""The completion scripts: each passes the words so far to ``comfyui-skill completion --complete``,
each prefixed with ``+`` so that none of them (``--``, ``-x``) is taken for an option of its own."""

from __future__ import annotations

BASH = r'''# bash completion for comfyui-skill: source <(comfyui-skill completion bash)
_comfyui_skill() {
    local IFS=$'\n' words=("${COMP_WORDS[@]:1:COMP_CWORD}")
    COMPREPLY=($(comfyui-skill completion --complete "${words[@]/#/+}" 2>/dev/null))
}
complete -o default -o nosort -F _comfyui_skill comfyui-skill 2>/dev/null || complete -o default -F _comfyui_skill comfyui-skill
'''

ZSH = r'''#compdef comfyui-skill
# zsh completion for comfyui-skill: source <(comfyui-skill completion zsh)
_comfyui_skill() {
    local -a candidates
    local -a typed
    typed=("${(@)words[2,CURRENT]}")
    candidates=("${(@f)$(comfyui-skill completion --complete "${(@)typed/#/+}" 2>/dev/null)}")
    if [[ -n ${candidates[1]} ]]; then
        compadd -- "${candidates[@]}"
    else
        _files
    fi
}
compdef _comfyui_skill comfyui-skill
'''

FISH = r'''# fish completion for comfyui-skill: comfyui-skill completion fish > ~/.config/fish/completions/comfyui-skill.fish
function __comfyui_skill_complete
    set -l words (commandline -opc) (commandline -ct)
    comfyui-skill completion --complete (string replace -r '^' '+' -- $words[2..-1]) 2>/dev/null
end
complete -c comfyui-skill -a '(__comfyui_skill_complete)'
'''

SCRIPTS = {"bash": BASH, "zsh": ZSH, "fish": FISH}
