# Test-only stand-in for timm/models/_features_fx.py: FX-tracing registrations are identity decorators.
def register_notrace_module(module):
    return module


def register_notrace_function(func):
    return func
