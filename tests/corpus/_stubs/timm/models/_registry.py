# Test-only stand-in for timm/models/_registry.py: registration is not needed to build a model.
def register_model(fn):
    return fn


def generate_default_cfgs(cfgs):
    return cfgs


def register_model_deprecations(module_name, deprecation_map):
    return None
