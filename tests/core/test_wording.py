"""The shared wording helpers: counted nouns and close-match suggestions."""

from comfyui_skill import close_matches, did_you_mean, plural


def test_plural_takes_the_count_into_account():
    assert plural(1, "node") == "1 node"
    assert plural(0, "node") == "0 nodes"
    assert plural(2, "class", "classes") == "2 classes"


def test_a_case_insensitive_exact_match_comes_first():
    assert close_matches("ksampler", ["KSamplerAdvanced", "KSampler", "VAEDecode"])[0] == "KSampler"


def test_typos_and_parts_are_suggested():
    assert close_matches("chekpoints", ["checkpoints", "loras", "vae"]) == ["checkpoints"]
    assert "LoadImage" in close_matches("loadim", ["LoadImage", "SaveImage", "EmptyImage"])
    assert close_matches("zzz", ["checkpoints", "loras"]) == []


def test_the_typed_name_itself_is_never_suggested():
    assert close_matches("run", ["run", "rnu"]) == ["rnu"]


def test_did_you_mean_phrasing():
    assert did_you_mean("lst", ["list", "add"]) == "did you mean 'list'?"
    assert did_you_mean("xyz", ["list"]) is None
    assert did_you_mean("seed", ["seed2", "seeds"]).startswith("did you mean one of ")


def test_did_you_mean_compares_names_without_the_prefix_it_shows():
    assert did_you_mean("promt", ["prompt", "negative"], prefix="--") == "did you mean '--prompt'?"
