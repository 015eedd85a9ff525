# Test-only stand-in: the ops model code uses (verbatim modules beside this file).
from .misc import Conv2dNormActivation, Conv3dNormActivation, FrozenBatchNorm2d, MLP, Permute, SqueezeExcitation
from .stochastic_depth import stochastic_depth, StochasticDepth
