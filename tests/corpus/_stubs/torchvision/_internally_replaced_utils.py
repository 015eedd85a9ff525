# Test-only stand-in: the corpus never loads weights.
def load_state_dict_from_url(*args, **kwargs):
    raise RuntimeError("the shapelens corpus never loads pretrained weights")
