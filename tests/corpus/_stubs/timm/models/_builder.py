# Test-only stand-in for timm/models/_builder.py. Without pretrained weights, pruning or features_only
# (never used by the corpus), timm's build_model_with_cfg constructs model_cls(**kwargs) (or with
# cfg=model_cfg), after dropping the kwargs named in kwargs_filter; that is all this does.
def build_model_with_cfg(model_cls, variant, pretrained, pretrained_cfg=None, pretrained_cfg_overlay=None,
                         model_cfg=None, feature_cfg=None, pretrained_strict=True, pretrained_filter_fn=None,
                         cache_dir=None, kwargs_filter=None, pretrained_model_args=None, **kwargs):
    assert not pretrained and not kwargs.get("features_only") and not kwargs.get("pruned")
    kwargs.pop("pruned", None)
    kwargs.pop("features_only", None)
    for k in kwargs_filter or ():
        kwargs.pop(k, None)
    if model_cfg is None:
        return model_cls(**kwargs)
    return model_cls(cfg=model_cfg, **kwargs)
