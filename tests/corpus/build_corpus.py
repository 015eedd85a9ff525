"""Rebuild the committed corpus (tests/corpus/torch, tests/corpus/keras, tests/corpus/_stubs) from PyPI files.

This is the recipe that made the committed files; it is not run by the tests.  It reads only files that come
from PyPI distributions:

    pip download --no-deps torchvision==0.29.1 d2l==1.0.3 timm==1.0.31 torchaudio==2.11.1 -d /work/dl
    pip download --no-deps vit-pytorch==1.26.11 einops==0.8.2 linformer==0.2.3 linformer-pytorch==0.19.3 -d /work/dl
    and unzip each wheel into /work/dl/x (WHEELS below); keras==3.15.1 as installed in site-packages.

Package model files (torchvision, timm, torchaudio) sit in their package layout under torch/pkgs/ (PKGS),
e.g. torch/pkgs/torchvision/models/resnet.py, beside the verbatim modules they import from their own package
(the import closure, `carried()`), so that their relative and absolute imports resolve on disk the way they do
in the installed package.  A model file is:  a header naming the source  +  the source text verbatim  +  a
marked block (MARK) with the instantiations the harness and shapelens look at.  Every other file under PKGS is
byte-identical to the wheel's, or an empty `__init__.py` (see `init_text()`).

d2l and the Keras applications stay flat (torch/d2l_*.py: excerpts of one 3,515-line file; keras/ka_*.py:
their `keras.src` imports are read from the installed Keras).

    python tests/corpus/build_corpus.py [pkgs] [d2l] [keras] [stubs]    # default: all four
    python tests/corpus/build_corpus.py --list                          # the carried modules, per package
"""
from __future__ import annotations

import argparse
import ast
import os
import pathlib
import shutil

HERE = pathlib.Path(__file__).resolve().parent
WHEELS = pathlib.Path(os.environ.get("CORPUS_WHEELS", "/work/dl/x"))
PKGS = HERE / "torch" / "pkgs"
MARK = "# ---- shapelens corpus: added below (not in the source) ----"

TV = ("torchvision==0.29.1", "BSD-3-Clause (torchvision LICENSE, copy in tests/corpus/LICENSES/torchvision.txt)")
D2L = ("d2l==1.0.3", "MIT-0 (d2l LICENSE-SAMPLECODE, sample code licence, copy in tests/corpus/LICENSES/d2l.txt)")
TIMM = ("timm==1.0.31", "Apache-2.0 (timm, copy in tests/corpus/LICENSES/timm-apache-2.0.txt)")
# d2l/torch.py ends with aliases the classes use (d2l.zeros, d2l.astype, ...): "# Alias defined in config.ini".
D2L_ALIASES = (3471, 3515)
TA = ("torchaudio==2.11.1", "BSD-2-Clause (torchaudio LICENSE, copy in tests/corpus/LICENSES/torchaudio.txt)")
KERAS = ("keras==3.15.1", "Apache-2.0 (keras LICENSE, copy in tests/corpus/LICENSES/keras.txt)")
# The parameters / sequence sets (issues #16, #13): packages from PyPI whose models freeze, tie or share parameters,
# or are LSTMs / attention / transformers.  einops is carried for the harness only (vit_pytorch imports it;
# shapelens never reads einops: NATIVE_TOPS).
VITP = ("vit-pytorch==1.26.11", "MIT (vit-pytorch LICENSE, copy in tests/corpus/LICENSES/vit-pytorch.txt)")
LINF = ("linformer==0.2.3", "MIT (linformer LICENSE, copy in tests/corpus/LICENSES/linformer.txt)")
LINFP = ("linformer-pytorch==0.19.3", "MIT (linformer-pytorch LICENSE, copy in tests/corpus/LICENSES/linformer-pytorch.txt)")
# Modules of another distribution carried with their import closure (not model files): vit_pytorch's einops.
DEPS = ["einops/__init__.py", "einops/layers/torch.py"]


def keras_root() -> pathlib.Path:
    import importlib.util
    return pathlib.Path(importlib.util.find_spec("keras").submodule_search_locations[0])


# Package model files: ((dist, licence), path inside the wheel = path under PKGS, added block).  The harness
# executes each in the package its path names (torchvision.models.segmentation for segmentation/fcn.py).
PKG_MODELS = [
    (TV, "torchvision/models/alexnet.py", """
# shapelens: input=(2, 3, 64, 64)
model = alexnet(num_classes=10)
"""),
    (TV, "torchvision/models/vgg.py", """
# shapelens: input=(1, 3, 32, 32)
model = vgg11(num_classes=10)
# shapelens: input=(1, 3, 32, 32)
model_bn = vgg13_bn(num_classes=10)
"""),
    (TV, "torchvision/models/resnet.py", """
# shapelens: input=(2, 3, 64, 64)
model = resnet18()
# shapelens: input=(1, 3, 64, 64)
model_50 = resnet50(num_classes=10)
# shapelens: input=(1, 3, 64, 64)
model_next = resnext50_32x4d(num_classes=10)
"""),
    (TV, "torchvision/models/densenet.py", """
# shapelens: input=(1, 3, 64, 64)
model = densenet121(num_classes=10)
"""),
    (TV, "torchvision/models/googlenet.py", """
# shapelens: input=(1, 3, 64, 64)
model = googlenet(num_classes=10)
"""),
    (TV, "torchvision/models/inception.py", """
# shapelens: input=(1, 3, 96, 96)
model = inception_v3(num_classes=10)
"""),
    (TV, "torchvision/models/mobilenetv2.py", """
# shapelens: input=(2, 3, 64, 64)
model = mobilenet_v2(num_classes=10)
# shapelens: input=(2, 3, 64, 64)
model_w = mobilenet_v2(width_mult=0.75)
"""),
    (TV, "torchvision/models/mobilenetv3.py", """
# shapelens: input=(2, 3, 64, 64)
model = mobilenet_v3_small(num_classes=10)
# shapelens: input=(2, 3, 64, 64)
model_large = mobilenet_v3_large()
"""),
    (TV, "torchvision/models/mnasnet.py", """
# shapelens: input=(2, 3, 64, 64)
model = mnasnet0_5(num_classes=10)
# shapelens: input=(2, 3, 64, 64)
model_b = mnasnet1_0()
"""),
    (TV, "torchvision/models/shufflenetv2.py", """
# shapelens: input=(2, 3, 64, 64)
model = shufflenet_v2_x0_5(num_classes=10)
# shapelens: input=(2, 3, 64, 64)
model_b = shufflenet_v2_x1_0()
"""),
    (TV, "torchvision/models/squeezenet.py", """
# shapelens: input=(2, 3, 64, 64)
model = squeezenet1_0(num_classes=10)
# shapelens: input=(2, 3, 64, 64)
model_b = squeezenet1_1()
"""),
    (TV, "torchvision/models/efficientnet.py", """
# shapelens: input=(1, 3, 64, 64)
model = efficientnet_b0(num_classes=10)
# shapelens: input=(1, 3, 64, 64)
model_v2 = efficientnet_v2_s(num_classes=10)
"""),
    (TV, "torchvision/models/regnet.py", """
# shapelens: input=(2, 3, 64, 64)
model = regnet_y_400mf(num_classes=10)
# shapelens: input=(2, 3, 64, 64)
model_x = regnet_x_800mf()
"""),
    (TV, "torchvision/models/convnext.py", """
# shapelens: input=(1, 3, 64, 64)
model = convnext_tiny(num_classes=10)
"""),
    (TV, "torchvision/models/vision_transformer.py", """
# shapelens: input=(2, 3, 32, 32)
model = VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=4, hidden_dim=64, mlp_dim=128, num_classes=10)
# shapelens: input=(1, 3, 64, 64)
model_b16 = vit_b_16(image_size=64, num_classes=10)
"""),
    (TV, "torchvision/models/swin_transformer.py", """
# shapelens: input=(1, 3, 64, 64)
model = swin_t(num_classes=10)
# shapelens: input=(1, 3, 64, 64)
model_v2 = swin_v2_t(num_classes=10)
"""),
    (TV, "torchvision/models/maxvit.py", """
# shapelens: input=(1, 3, 224, 224)
model = maxvit_t(num_classes=10)
"""),
    (TV, "torchvision/models/segmentation/fcn.py", """
# shapelens: input=(1, 3, 64, 64)
model = fcn_resnet50(weights_backbone=None, num_classes=5)
"""),
    (TV, "torchvision/models/segmentation/deeplabv3.py", """
# shapelens: input=(1, 3, 64, 64)
model = deeplabv3_mobilenet_v3_large(weights_backbone=None, num_classes=5)
"""),
    (TV, "torchvision/models/segmentation/lraspp.py", """
# shapelens: input=(1, 3, 64, 64)
model = lraspp_mobilenet_v3_large(weights_backbone=None, num_classes=5)
"""),
    (TV, "torchvision/models/video/resnet.py", """
# shapelens: input=(1, 3, 4, 32, 32)
model = r3d_18(num_classes=10)
# shapelens: input=(1, 3, 4, 32, 32)
model_2plus1 = r2plus1d_18(num_classes=10)
"""),
    (TV, "torchvision/models/video/swin_transformer.py", """
# shapelens: input=(1, 3, 4, 64, 64)
model = swin3d_t(num_classes=10)
"""),
    (TV, "torchvision/models/optical_flow/raft.py", """
# corpus: args=(torch.randn(1, 3, 128, 128), torch.randn(1, 3, 128, 128), 2)
# shapelens: input=(1, 3, 128, 128)
model = raft_small()
"""),
    (TV, "torchvision/models/quantization/resnet.py", """
# shapelens: input=(2, 3, 64, 64)
model = resnet18(quantize=False)
"""),
    (TV, "torchvision/models/quantization/googlenet.py", """
# shapelens: input=(1, 3, 64, 64)
model = googlenet(quantize=False, num_classes=10)
"""),
    (TV, "torchvision/models/quantization/inception.py", """
# shapelens: input=(1, 3, 96, 96)
model = inception_v3(quantize=False, num_classes=10)
"""),
    (TV, "torchvision/models/quantization/mobilenetv2.py", """
# shapelens: input=(2, 3, 64, 64)
model = mobilenet_v2(quantize=False, num_classes=10)
"""),
    (TV, "torchvision/models/quantization/mobilenetv3.py", """
# shapelens: input=(2, 3, 64, 64)
model = mobilenet_v3_large(quantize=False, num_classes=10)
"""),
    (TV, "torchvision/models/quantization/shufflenetv2.py", """
# shapelens: input=(2, 3, 64, 64)
model = shufflenet_v2_x0_5(quantize=False, num_classes=10)
"""),
    (TV, "torchvision/models/detection/backbone_utils.py", """
# shapelens: input=(1, 3, 64, 64)
model = resnet_fpn_backbone(backbone_name="resnet18", weights=None, trainable_layers=2)
# shapelens: input=(1, 3, 64, 64)
model_mnv3 = mobilenet_backbone(backbone_name="mobilenet_v3_small", weights=None, fpn=True, trainable_layers=1)
"""),
    (TIMM, "timm/models/convmixer.py", """
# shapelens: input=(2, 3, 64, 64)
model = ConvMixer(dim=64, depth=4, kernel_size=7, patch_size=7, num_classes=10)
# shapelens: input=(1, 3, 64, 64)
model_768 = convmixer_768_32(num_classes=10)
"""),
    (TIMM, "timm/models/mlp_mixer.py", """
# shapelens: input=(2, 3, 64, 64)
model = mixer_s16_224(img_size=64, num_classes=10)
# shapelens: input=(2, 3, 64, 64)
model_gmlp = gmlp_ti16_224(img_size=64, num_classes=10)
"""),
    (TIMM, "timm/models/dla.py", """
# shapelens: input=(1, 3, 64, 64)
model = dla34(num_classes=10)
# shapelens: input=(1, 3, 64, 64)
model_46c = dla46_c(num_classes=10)
"""),
    (TIMM, "timm/models/selecsls.py", """
# shapelens: input=(1, 3, 64, 64)
model = selecsls42b(num_classes=10)
"""),
    (TIMM, "timm/models/senet.py", """
# shapelens: input=(1, 3, 64, 64)
model = legacy_seresnet18(num_classes=10)
# shapelens: input=(1, 3, 64, 64)
model_next = legacy_seresnext26_32x4d(num_classes=10)
"""),
    (TIMM, "timm/models/inception_v4.py", """
# shapelens: input=(1, 3, 128, 128)
model = inception_v4(num_classes=10)
"""),
    (TIMM, "timm/models/dpn.py", """
# shapelens: input=(1, 3, 64, 64)
model = dpn68b(num_classes=10)
"""),
    (TIMM, "timm/models/ghostnet.py", """
# shapelens: input=(1, 3, 64, 64)
model = ghostnet_050(num_classes=10)
# shapelens: input=(1, 3, 64, 64)
model_v2 = ghostnetv2_100(num_classes=10)
"""),
    (TIMM, "timm/models/rexnet.py", """
# shapelens: input=(1, 3, 64, 64)
model = rexnet_100(num_classes=10)
"""),
    (TIMM, "timm/models/vgg.py", """
# shapelens: input=(1, 3, 64, 64)
model = vgg11_bn(num_classes=10)
"""),
    (TA, "torchaudio/models/deepspeech.py", """
# shapelens: input=(2, 1, 50, 40)
model = DeepSpeech(n_feature=40, n_hidden=64, n_class=10)
"""),
    (TA, "torchaudio/models/wav2letter.py", """
# shapelens: input=(2, 13, 100)
model = Wav2Letter(num_classes=40, input_type="mfcc", num_features=13)
# shapelens: input=(1, 1, 4000)
model_wave = Wav2Letter(num_classes=10)
"""),
    (TA, "torchaudio/models/conv_tasnet.py", """
# shapelens: input=(1, 1, 800)
model = ConvTasNet(num_sources=2, enc_kernel_size=16, enc_num_feats=64, msk_kernel_size=3, msk_num_feats=32, msk_num_hidden_feats=64, msk_num_layers=2, msk_num_stacks=2)
"""),
    (TA, "torchaudio/models/conformer.py", """
# corpus: args=(torch.randn(2, 10, 32), torch.tensor([10, 8]))
# shapelens: input=(2, 10, 32)
model = Conformer(input_dim=32, num_heads=4, ffn_dim=64, num_layers=2, depthwise_conv_kernel_size=7)
"""),
    (TA, "torchaudio/models/wavernn.py", """
# corpus: args=(torch.randn(1, 1, 1200), torch.randn(1, 1, 32, 10))
# shapelens: input=(1, 1, 1200)
model = WaveRNN(upsample_scales=[5, 5, 8], n_classes=512, hop_length=200, n_res_block=2, n_rnn=64, n_fc=64, kernel_size=5, n_freq=32, n_hidden=32, n_output=32)
"""),
    (TA, "torchaudio/models/tacotron2.py", """
# corpus: args=(torch.randint(0, 20, (2, 8)), torch.tensor([8, 6]), torch.randn(2, 80, 12), torch.tensor([12, 10]))
# shapelens: input=(2, 8)
model = Tacotron2(n_symbol=20)
"""),
    # ---- parameters set (issue #16) and sequence set (issue #13) ----
    (TIMM, "timm/models/vision_transformer.py", """
# shapelens: input=(2, 3, 32, 32)
model = VisionTransformer(img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=4, num_classes=10)
# shapelens: input=(2, 3, 32, 32)
model_reg = VisionTransformer(img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=4, num_classes=10, class_token=False, reg_tokens=4, global_pool='avg', init_values=1e-5)
# linear probe: every parameter but the head's frozen
# shapelens: input=(2, 3, 32, 32)
model_probe = vit_tiny_patch16_224(img_size=32, num_classes=10)
for name, param in model_probe.named_parameters():
    if not name.startswith("head"):
        param.requires_grad = False
"""),
    (TIMM, "timm/models/deit.py", """
# shapelens: input=(2, 3, 32, 32)
model = deit_tiny_distilled_patch16_224(img_size=32, num_classes=10)
# fine-tuning the two heads only: requires_grad_(False) on the whole model, then (True) on the heads
# shapelens: input=(2, 3, 32, 32)
model_heads = VisionTransformerDistilled(img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=4, num_classes=10)
model_heads.requires_grad_(False)
model_heads.head.requires_grad_(True)
model_heads.head_dist.requires_grad_(True)
# linear probe by parameter name: every parameter frozen but the two heads' (head.*, head_dist.*)
# shapelens: input=(2, 3, 32, 32)
model_probe = VisionTransformerDistilled(img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=4, num_classes=10)
for name, param in model_probe.named_parameters():
    if not name.startswith("head"):
        param.requires_grad = False
"""),
    (TIMM, "timm/models/cait.py", """
# shapelens: input=(2, 3, 32, 32)
model = Cait(img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=4, depth_token_only=1, init_values=1e-5, num_classes=10)
# linear probe by parameter name: everything frozen but head.weight / head.bias
# shapelens: input=(2, 3, 32, 32)
model_probe = Cait(img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=4, depth_token_only=1, init_values=1e-5, num_classes=10)
for name, param in model_probe.named_parameters():
    if not name.startswith("head"):
        param.requires_grad = False
"""),
    (TIMM, "timm/models/beit.py", """
# shapelens: input=(2, 3, 32, 32)
model = Beit(img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=4, num_classes=10, use_abs_pos_emb=False, use_rel_pos_bias=True, init_values=0.1)
# one RelativePositionBias shared by every block
# shapelens: input=(2, 3, 32, 32)
model_shared = Beit(img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=4, num_classes=10, use_abs_pos_emb=True, use_shared_rel_pos_bias=True, init_values=0.1)
"""),
    (TIMM, "timm/models/levit.py", """
# shapelens: input=(2, 3, 64, 64)
model = levit_128s(img_size=64, num_classes=10)
"""),
    (TIMM, "timm/models/xcit.py", """
# shapelens: input=(2, 3, 64, 64)
model = xcit_nano_12_p16_224(img_size=64, num_classes=10)
"""),
    (TIMM, "timm/models/crossvit.py", """
# shapelens: input=(2, 3, 120, 120)
model = crossvit_tiny_240(img_size=120, num_classes=10)
"""),
    (TIMM, "timm/models/convit.py", """
# shapelens: input=(2, 3, 64, 64)
model = convit_tiny(img_size=64, num_classes=10)
"""),
    (TA, "torchaudio/models/emformer.py", """
# corpus: args=(torch.randn(2, 17, 32), torch.tensor([17, 15]))
# shapelens: input=(2, 17, 32)
model = Emformer(input_dim=32, num_heads=4, ffn_dim=64, num_layers=2, segment_length=4, left_context_length=4, right_context_length=1)
"""),
    (TA, "torchaudio/models/wav2vec2/model.py", """
# shapelens: input=(2, 1600)
model = wav2vec2_model(extractor_mode="group_norm", extractor_conv_layer_config=[(32, 10, 5), (32, 3, 2), (32, 2, 2)], extractor_conv_bias=False, encoder_embed_dim=64, encoder_projection_dropout=0.0, encoder_pos_conv_kernel=16, encoder_pos_conv_groups=4, encoder_num_layers=2, encoder_num_heads=4, encoder_attention_dropout=0.0, encoder_ff_interm_features=128, encoder_ff_interm_dropout=0.0, encoder_dropout=0.0, encoder_layer_norm_first=False, encoder_layer_drop=0.0, aux_num_out=10)
# fine-tuning recipe: the convolutional feature encoder frozen
# shapelens: input=(2, 1600)
model_frozen_fe = wav2vec2_model(extractor_mode="layer_norm", extractor_conv_layer_config=[(32, 10, 5), (32, 3, 2), (32, 2, 2)], extractor_conv_bias=True, encoder_embed_dim=64, encoder_projection_dropout=0.0, encoder_pos_conv_kernel=16, encoder_pos_conv_groups=4, encoder_num_layers=2, encoder_num_heads=4, encoder_attention_dropout=0.0, encoder_ff_interm_features=128, encoder_ff_interm_dropout=0.0, encoder_dropout=0.0, encoder_layer_norm_first=True, encoder_layer_drop=0.0, aux_num_out=10)
for param in model_frozen_fe.feature_extractor.parameters():
    param.requires_grad = False
# shapelens: input=(2, 1600)
model_wavlm = wavlm_model(extractor_mode="group_norm", extractor_conv_layer_config=[(32, 10, 5), (32, 3, 2), (32, 2, 2)], extractor_conv_bias=False, encoder_embed_dim=64, encoder_projection_dropout=0.0, encoder_pos_conv_kernel=16, encoder_pos_conv_groups=4, encoder_num_layers=2, encoder_num_heads=4, encoder_num_buckets=32, encoder_max_distance=64, encoder_attention_dropout=0.0, encoder_ff_interm_features=128, encoder_ff_interm_dropout=0.0, encoder_dropout=0.0, encoder_layer_norm_first=False, encoder_layer_drop=0.0, aux_num_out=10)
"""),
    (TA, "torchaudio/models/squim/objective.py", """
# shapelens: input=(2, 1600)
model = squim_objective_model(feat_dim=32, win_len=64, d_model=32, nhead=4, hidden_dim=32, num_blocks=2, rnn_type="LSTM", chunk_size=10, chunk_stride=5)
# shapelens: input=(2, 1600)
model_gru = squim_objective_model(feat_dim=32, win_len=64, d_model=32, nhead=4, hidden_dim=32, num_blocks=1, rnn_type="GRU", chunk_size=10)
"""),
    (TA, "torchaudio/models/_hdemucs.py", """
# shapelens: input=(1, 2, 2048)
model = HDemucs(sources=["bass", "vocals"], channels=8, nfft=256, depth=4, dconv_attn=2, dconv_lstm=2)
"""),
    (VITP, "vit_pytorch/vit.py", """
# shapelens: input=(2, 3, 32, 32)
model = ViT(image_size=32, patch_size=8, num_classes=10, dim=64, depth=2, heads=4, mlp_dim=128)
# shapelens: input=(2, 3, 32, 32)
model_mean = ViT(image_size=32, patch_size=8, num_classes=10, dim=64, depth=2, heads=4, mlp_dim=128, pool='mean', dim_head=16)
"""),
    (VITP, "vit_pytorch/simple_vit.py", """
# shapelens: input=(2, 3, 32, 32)
model = SimpleViT(image_size=32, patch_size=8, num_classes=10, dim=64, depth=2, heads=4, mlp_dim=128)
"""),
    (VITP, "vit_pytorch/cait.py", """
# shapelens: input=(2, 3, 32, 32)
model = CaiT(image_size=32, patch_size=8, num_classes=10, dim=64, depth=2, cls_depth=1, heads=4, mlp_dim=128)
"""),
    (VITP, "vit_pytorch/deepvit.py", """
# shapelens: input=(2, 3, 32, 32)
model = DeepViT(image_size=32, patch_size=8, num_classes=10, dim=64, depth=2, heads=4, mlp_dim=128)
"""),
    (VITP, "vit_pytorch/learnable_memory_vit.py", """
# the ViT frozen by the Adapter (freeze_all_layers_); only the memories and the adapter's head train
# shapelens: input=(2, 3, 32, 32)
model = Adapter(vit=ViT(image_size=32, patch_size=8, num_classes=10, dim=64, depth=2, heads=4, mlp_dim=128), num_memories_per_layer=5, num_classes=3)
# shapelens: input=(2, 3, 32, 32)
model_vit = ViT(image_size=32, patch_size=8, num_classes=10, dim=64, depth=2, heads=4, mlp_dim=128)
"""),
    (LINF, "linformer/linformer.py", """
# corpus: args=(torch.randint(0, 100, (2, 32)),)
# shapelens: input=(2, 32)
model = LinformerLM(num_tokens=100, dim=32, seq_len=32, depth=2, k=8, heads=4)
# keys and values share one projection
# corpus: args=(torch.randint(0, 100, (2, 32)),)
# shapelens: input=(2, 32)
model_share_kv = LinformerLM(num_tokens=100, dim=32, seq_len=32, depth=2, k=8, heads=4, share_kv=True, one_kv_head=True)
# shapelens: input=(2, 32, 32)
model_enc = Linformer(dim=32, seq_len=32, depth=2, k=8, heads=4, reversible=True)
"""),
    (LINFP, "linformer_pytorch/linformer_pytorch.py", """
# one E projection shared by every head of every layer
# corpus: args=(torch.randint(0, 100, (2, 32)),)
# shapelens: input=(2, 32)
model = LinformerLM(num_tokens=100, input_size=32, channels=32, dim_k=8, dim_ff=64, nhead=4, depth=2, parameter_sharing="layerwise")
# corpus: args=(torch.randint(0, 100, (2, 32)),)
# shapelens: input=(2, 32)
model_kv = LinformerLM(num_tokens=100, input_size=32, channels=32, dim_k=8, dim_ff=64, nhead=4, depth=2, parameter_sharing="kv")
# corpus: args=(torch.randint(0, 100, (2, 32)),)
# shapelens: input=(2, 32)
model_headwise = LinformerLM(num_tokens=100, input_size=32, channels=32, dim_k=8, dim_ff=64, nhead=4, depth=2, parameter_sharing="headwise")
# corpus: args=(torch.randint(0, 100, (2, 32)),)
# shapelens: input=(2, 32)
model_none = LinformerLM(num_tokens=100, input_size=32, channels=32, dim_k=8, dim_ff=64, nhead=4, depth=2, parameter_sharing="none")
# shapelens: input=(2, 32, 16)
model_enc = Linformer(input_size=32, channels=16, dim_k=8, dim_ff=32, nhead=2, depth=2, parameter_sharing="layerwise")
"""),
]

# d2l: torch.py defines `d2l = sys.modules[__name__]`, so every class refers to its bases through the file
# itself; each corpus file (torch/<name>.py) is lines 1..N of d2l/torch.py, up to the last class it
# instantiates, plus the alias block at its end.
D2L_FILES = [
    ("d2l_lenet", [(1, 580), D2L_ALIASES], """
# shapelens: input=(2, 1, 28, 28)
model = LeNet(num_classes=10)
# shapelens: input=(2, 1, 28, 28)
model_softmax = SoftmaxRegression(num_outputs=10, lr=0.1)
# shapelens: input=(4, 2)
model_linreg = LinearRegression(lr=0.03)
"""),
    ("d2l_resnet", [(1, 1478), D2L_ALIASES], """
# shapelens: input=(2, 1, 96, 96)
model = resnet18(10)
# shapelens: input=(2, 3, 32, 32)
model_res = Residual(num_channels=32, use_1x1conv=True, strides=2)
# shapelens: input=(2, 64, 16, 16)
model_next = ResNeXtBlock(32, 16, 1, 1)
"""),
    ("d2l_rnn", [(1, 838), D2L_ALIASES], """
# shapelens: input=(5, 2, 8)
model = RNNScratch(num_inputs=8, num_hiddens=16)
# corpus: args=(torch.randint(0, 28, (2, 5)),)
# shapelens: input=(2, 5)
model_lm_scratch = RNNLMScratch(RNNScratch(num_inputs=28, num_hiddens=16), vocab_size=28)
# corpus: args=(torch.randint(0, 28, (2, 5)),)
# shapelens: input=(2, 5)
model_rnnlm = RNNLM(RNN(num_inputs=28, num_hiddens=32), vocab_size=28)
# shapelens: input=(5, 2, 28)
model_gru = GRU(num_inputs=28, num_hiddens=32, num_layers=2)
"""),
    ("d2l_seq2seq", [(1, 1028), D2L_ALIASES], """
# corpus: args=(torch.randint(0, 20, (2, 9)),)
# shapelens: input=(2, 9)
model = Seq2SeqEncoder(vocab_size=20, embed_size=8, num_hiddens=16, num_layers=2)
"""),
    ("d2l_attention", [(1, 1253), D2L_ALIASES], """
# corpus: args=(torch.randn(2, 1, 20), torch.randn(2, 10, 2), torch.randn(2, 10, 4), torch.tensor([2, 6]))
# shapelens: input=(2, 1, 20)
model = AdditiveAttention(num_hiddens=8, dropout=0.1)
# corpus: args=(torch.randn(2, 4, 16), torch.randn(2, 6, 16), torch.randn(2, 6, 16), torch.tensor([3, 2]))
# shapelens: input=(2, 4, 16)
model_mha = MultiHeadAttention(num_hiddens=16, num_heads=4, dropout=0)
# shapelens: input=(2, 3, 4)
model_ffn = PositionWiseFFN(8, 4)
# corpus: args=(torch.randn(2, 3, 4), torch.randn(2, 3, 4))
# shapelens: input=(2, 3, 4)
model_addnorm = AddNorm(4, 0.5)
# shapelens: input=(1, 6, 32)
model_pe = PositionalEncoding(num_hiddens=32, dropout=0)
"""),
    ("d2l_transformer", [(1, 1297), D2L_ALIASES], """
# corpus: args=(torch.randn(2, 100, 24), torch.tensor([3, 2]))
# shapelens: input=(2, 100, 24)
model = TransformerEncoderBlock(num_hiddens=24, ffn_num_hiddens=48, num_heads=8, dropout=0.5)
# corpus: args=(torch.ones((2, 100), dtype=torch.long), torch.tensor([3, 2]))
# shapelens: input=(2, 100)
model_enc = TransformerEncoder(vocab_size=200, num_hiddens=24, ffn_num_hiddens=48, num_heads=8, num_blks=2, dropout=0.5)
"""),
    ("d2l_bert", [(1, 2290), D2L_ALIASES], """
# corpus: args=(torch.randint(0, 100, (2, 8)), torch.tensor([[0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1, 1, 1]]), None)
# shapelens: input=(2, 8)
model = BERTEncoder(vocab_size=100, num_hiddens=32, ffn_num_hiddens=64, num_heads=4, num_blks=2, dropout=0.2)
# corpus: args=(torch.randint(0, 100, (2, 8)), torch.tensor([[0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1, 1, 1]]), None, torch.tensor([[1, 5, 2], [6, 1, 5]]))
# shapelens: input=(2, 8)
model_bert = BERTModel(vocab_size=100, num_hiddens=32, ffn_num_hiddens=64, num_heads=4, num_blks=2, dropout=0.2, max_len=100)
"""),
]

KERAS_FILES = [
    ("ka_resnet", "src/applications/resnet.py", """
model = ResNet50(weights=None, input_shape=(64, 64, 3), classes=10)
model_101 = ResNet101(weights=None, input_shape=(64, 64, 3), classes=10)
"""),
    ("ka_resnet_v2", "src/applications/resnet_v2.py", """
model = ResNet50V2(weights=None, input_shape=(64, 64, 3), classes=10)
"""),
    ("ka_vgg16", "src/applications/vgg16.py", """
model = VGG16(weights=None, input_shape=(32, 32, 3), classes=10)
"""),
    ("ka_vgg19", "src/applications/vgg19.py", """
model = VGG19(weights=None, input_shape=(32, 32, 3), classes=10)
"""),
    ("ka_mobilenet", "src/applications/mobilenet.py", """
model = MobileNet(weights=None, input_shape=(64, 64, 3), alpha=0.5, classes=10)
"""),
    ("ka_mobilenet_v2", "src/applications/mobilenet_v2.py", """
model = MobileNetV2(weights=None, input_shape=(64, 64, 3), classes=10)
model_035 = MobileNetV2(weights=None, input_shape=(96, 96, 3), alpha=0.35, classes=10)
"""),
    ("ka_mobilenet_v3", "src/applications/mobilenet_v3.py", """
model = MobileNetV3Small(weights=None, input_shape=(64, 64, 3), classes=10)
model_large = MobileNetV3Large(weights=None, input_shape=(64, 64, 3), classes=10, include_preprocessing=False)
"""),
    ("ka_densenet", "src/applications/densenet.py", """
model = DenseNet121(weights=None, input_shape=(64, 64, 3), classes=10)
model_169 = DenseNet169(weights=None, input_shape=(64, 64, 3), include_top=False)
"""),
    ("ka_efficientnet", "src/applications/efficientnet.py", """
model = EfficientNetB0(weights=None, input_shape=(64, 64, 3), classes=10)
model_b2 = EfficientNetB2(weights=None, input_shape=(64, 64, 3), include_top=False, pooling="avg")
"""),
    ("ka_efficientnet_v2", "src/applications/efficientnet_v2.py", """
model = EfficientNetV2B0(weights=None, input_shape=(64, 64, 3), classes=10)
"""),
    ("ka_inception_v3", "src/applications/inception_v3.py", """
model = InceptionV3(weights=None, input_shape=(96, 96, 3), classes=10)
"""),
    ("ka_inception_resnet_v2", "src/applications/inception_resnet_v2.py", """
model = InceptionResNetV2(weights=None, input_shape=(96, 96, 3), classes=10)
"""),
    ("ka_xception", "src/applications/xception.py", """
model = Xception(weights=None, input_shape=(72, 72, 3), classes=10)
"""),
    ("ka_convnext", "src/applications/convnext.py", """
model = ConvNeXtTiny(weights=None, input_shape=(64, 64, 3), classes=10)
"""),
    # ---- parameters set (issue #16): the keras-io transfer-learning / fine-tuning / siamese recipes in the added
    # block, on the verbatim application (weights=None: nothing downloaded)
    ("kt_mobilenet_v2_transfer", "src/applications/mobilenet_v2.py", """
import keras
# transfer learning: the whole base frozen (base_model.trainable = False), a new head
base_model = MobileNetV2(weights=None, input_shape=(64, 64, 3), include_top=False)
base_model.trainable = False
inputs = keras.Input(shape=(64, 64, 3))
x = base_model(inputs, training=False)
x = keras.layers.GlobalAveragePooling2D()(x)
x = keras.layers.Dropout(0.2)(x)
outputs = keras.layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
# fine-tuning: the base trainable again but for its first 100 layers
base_ft = MobileNetV2(weights=None, input_shape=(64, 64, 3), include_top=False, alpha=0.35)
base_ft.trainable = True
for layer in base_ft.layers[:100]:
    layer.trainable = False
inputs_ft = keras.Input(shape=(64, 64, 3))
x_ft = base_ft(inputs_ft, training=False)
x_ft = keras.layers.GlobalAveragePooling2D()(x_ft)
model_ft = keras.Model(inputs_ft, keras.layers.Dense(5)(x_ft))
"""),
    ("kt_efficientnet_finetune", "src/applications/efficientnet.py", """
import keras
from keras import layers
# frozen EfficientNetB0 under a new top, then its last 20 layers unfrozen except BatchNormalization
inputs = layers.Input(shape=(64, 64, 3))
base = EfficientNetB0(include_top=False, input_tensor=inputs, weights=None)
base.trainable = False
x = layers.GlobalAveragePooling2D(name="avg_pool")(base.output)
x = layers.BatchNormalization()(x)
x = layers.Dropout(0.2, name="top_dropout")(x)
outputs = layers.Dense(10, activation="softmax", name="pred")(x)
model = keras.Model(inputs, outputs, name="EfficientNet")
for layer in model.layers[-20:]:
    if not isinstance(layer, layers.BatchNormalization):
        layer.trainable = True
"""),
    ("kt_mobilenet_siamese", "src/applications/mobilenet.py", """
import keras
# siamese network: one tower (a nested model) applied to two inputs, its weights shared
tower = MobileNet(weights=None, input_shape=(32, 32, 3), include_top=False, pooling="avg", alpha=0.25)
input_a = keras.Input(shape=(32, 32, 3))
input_b = keras.Input(shape=(32, 32, 3))
emb_a = tower(input_a)
emb_b = tower(input_b)
diff = keras.layers.Subtract()([emb_a, emb_b])
outputs = keras.layers.Dense(1, activation="sigmoid")(diff)
model = keras.Model([input_a, input_b], outputs)
# one Dense layer object called on both embeddings (shared head)
shared_head = keras.layers.Dense(16, activation="relu")
head_a = shared_head(emb_a)
head_b = shared_head(emb_b)
model_shared_head = keras.Model([input_a, input_b], keras.layers.Dot(axes=1)([head_a, head_b]))
"""),
]


# ------------------------------------------------------------------------------------------ import closure

# Package __init__.py files whose imports are not followed: they re-export whole subsystems the model files
# never use (all of timm's models; timm's data loading, which needs PIL and torchvision's transforms).  The
# model code only imports the names of the listed modules from them (`from timm import __version__`,
# `from timm.data import IMAGENET_DEFAULT_MEAN`).  They are carried verbatim all the same (shapelens reads
# them); the harness runs a stand-in (_stubs/, see _stubs/README.md).
INIT_NOT_FOLLOWED = {
    "timm/__init__.py": ["timm/version.py"],
    "timm/data/__init__.py": ["timm/data/constants.py"],
}


def _top_imports(rel: str) -> list:
    """(absolute module, imported name or None) for every import the module runs when it is imported: its
    top-level statements, including those inside top-level if / try blocks (not inside functions)."""
    tree = ast.parse((WHEELS / rel).read_text(encoding="utf-8"))
    parts = rel[:-3].split("/")
    pkg = parts[:-1]                      # the package of a module; an __init__.py's package is its directory
    out = []

    def visit(stmts):
        for n in stmts:
            if isinstance(n, ast.Import):
                out.extend((a.name, None) for a in n.names)
            elif isinstance(n, ast.ImportFrom):
                if n.level:
                    base = pkg[:len(pkg) - (n.level - 1)]
                    mod = ".".join(base + ([n.module] if n.module else []))
                else:
                    mod = n.module
                out.extend((mod, a.name) for a in n.names)
            elif isinstance(n, (ast.If, ast.Try)):
                visit(n.body)
                visit(n.orelse)
                visit(getattr(n, "finalbody", []))
                for h in getattr(n, "handlers", []):
                    visit(h.body)
    visit(tree.body)
    return out


def _module_file(mod: str):
    """The wheel-relative file of a dotted module name (a package's __init__.py), or None."""
    base = WHEELS.joinpath(*mod.split("."))
    if (base / "__init__.py").is_file():
        return f"{mod.replace('.', '/')}/__init__.py"
    if base.with_suffix(".py").is_file():
        return f"{mod.replace('.', '/')}.py"
    return None


def carried() -> list:
    """Every file of PKGS but the empty __init__.py files: the model files and the closure of their imports
    inside their own package (modules a model file imports, the modules those import, ...).  `from pkg
    import name` carries the submodule pkg/name.py when there is one, else pkg/__init__.py (a re-exported
    name) and what it imports; `import pkg.mod` carries pkg/mod.py.  The packages around a carried module
    run their __init__.py on import too: init_text() decides whether those are verbatim."""
    todo = [path for _, path, _ in PKG_MODELS] + list(DEPS)
    seen: set = set()
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        if rel in INIT_NOT_FOLLOWED:
            todo += INIT_NOT_FOLLOWED[rel]
            continue
        top = rel.split("/")[0]
        for mod, name in _top_imports(rel):
            if mod.split(".")[0] != top:
                continue                    # another distribution (torch, numpy, ...) or the standard library
            f = _module_file(mod)
            if f is None:
                continue
            if f.endswith("/__init__.py"):
                sub = _module_file(f"{mod}.{name}") if name not in (None, "*") else None
                if sub is not None:
                    todo.append(sub)
                elif name is not None:
                    todo.append(f)          # a name the package's __init__.py defines or re-exports
            else:
                todo.append(f)
    return sorted(seen)


def package_dirs(files) -> list:
    """Every package directory around the carried files (torchvision, torchvision/models, ...)."""
    out = set()
    for rel in files:
        parts = rel.split("/")[:-1]
        for k in range(1, len(parts) + 1):
            out.add("/".join(parts[:k]))
    return sorted(out)


def init_text(pkg_dir: str, files: set):
    """The package's __init__.py: the wheel's, verbatim, when it is carried or when every module of its own
    distribution it imports is carried; else empty (b""), because running it would import modules the
    corpus does not carry (torchvision/__init__.py imports datasets, io, the C++ extension...)."""
    rel = f"{pkg_dir}/__init__.py"
    src = WHEELS / rel
    if not src.is_file():
        return b""
    if rel in files:
        return src.read_bytes()
    top = pkg_dir.split("/")[0]
    for mod, name in _top_imports(rel):
        if mod.split(".")[0] != top:
            continue
        f = _module_file(mod)
        sub = _module_file(f"{mod}.{name}") if f and f.endswith("/__init__.py") and name not in (None, "*") else None
        if (sub or f) not in files and (sub or f) != rel:
            return b""
    return src.read_bytes()


# ------------------------------------------------------------------------------------------ writing

def header(corpus_path, dist, path, lines, total):
    part = "whole file" if lines is None else "lines " + " and ".join(f"{a}-{b}" for a, b in lines) + f" of {total}"
    return "\n".join([
        f"# shapelens corpus file {corpus_path}",
        f"# Source: {dist[0]} from PyPI, {path} ({part}), copied verbatim below.",
        f"# Licence: {dist[1]}",
        "# ---- verbatim source below ----",
    ]) + "\n"


def write(dest: pathlib.Path, head: str, text: str, added: str) -> None:
    if not text.endswith("\n"):
        text += "\n"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(head + text + "\n" + MARK + added, encoding="utf-8")


def build_pkgs() -> None:
    """torch/pkgs/: model files (header + verbatim + added block), the modules they import (verbatim), and
    every package's __init__.py (verbatim or empty)."""
    if PKGS.exists():
        shutil.rmtree(PKGS)
    files = carried()
    models = {path: (dist, added) for dist, path, added in PKG_MODELS}
    for rel in files:
        dest = PKGS / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if rel in models:
            dist, added = models[rel]
            text = (WHEELS / rel).read_text(encoding="utf-8")
            write(dest, header(f"torch/pkgs/{rel}", dist, rel, None, 0), text, added)
        else:
            shutil.copyfile(WHEELS / rel, dest)
    fs = set(files)
    for d in package_dirs(files):
        if f"{d}/__init__.py" not in fs:
            (PKGS / d / "__init__.py").write_bytes(init_text(d, fs))


def build_d2l(only=None) -> None:
    outdir = HERE / "torch"
    path = "d2l/torch.py"
    all_lines = (WHEELS / path).read_text(encoding="utf-8").splitlines(keepends=True)
    for name, lines, added in D2L_FILES:
        if only and name not in only:
            continue
        parts = []
        for k, (a, b) in enumerate(lines):
            if k:
                parts.append(f"# ---- shapelens corpus: lines {lines[k - 1][1] + 1}-{a - 1} of {path} omitted here ----\n")
            parts.append("".join(all_lines[a - 1:b]))
        write(outdir / f"{name}.py", header(f"{name}.py", D2L, path, lines, len(all_lines)), "".join(parts), added)


def build_keras(only=None) -> None:
    outdir = HERE / "keras"
    root = keras_root()
    for name, path, added in KERAS_FILES:
        if only and name not in only:
            continue
        src = (root / path).read_text(encoding="utf-8")
        write(outdir / f"{name}.py", header(f"{name}.py", KERAS, "keras/" + path, None, 0), src, added)


def build_stubs() -> None:
    """The one generated harness stand-in: torchvision/utils.py reduced to the helpers the model code imports
    (verbatim excerpt; the whole file imports PIL).  The other stand-ins in _stubs/ are hand-written."""
    stubs = HERE / "_stubs"
    src = (WHEELS / "torchvision/utils.py").read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, l in enumerate(src) if l.startswith("def _log_api_usage_once"))
    end = next(i for i, l in enumerate(src) if l.startswith("def _make_ntuple"))
    end = next(i for i in range(end + 1, len(src)) if src[i].startswith(("def ", "class ", "@"))) \
        if any(src[i].startswith(("def ", "class ", "@")) for i in range(end + 1, len(src))) else len(src)
    (stubs / "torchvision").mkdir(parents=True, exist_ok=True)
    (stubs / "torchvision/utils.py").write_text(
        "# Verbatim excerpt of torchvision==0.29.1 torchvision/utils.py (BSD-3-Clause): the two helpers model\n"
        "# code imports; the rest of that file needs PIL.\n"
        "import collections\nfrom itertools import repeat\nfrom types import FunctionType\nfrom typing import Any\n\n"
        "import torch\n\n\n" + "".join(src[start:end]), encoding="utf-8")


def list_carried() -> None:
    files = carried()
    models = {path for _, path, _ in PKG_MODELS}
    fs = set(files)
    for top in sorted({f.split("/")[0] for f in files}):
        print(f"{top}:")
        for rel in files:
            if rel.startswith(top + "/"):
                print(f"  {'model  ' if rel in models else 'module '}{rel}")
        for d in package_dirs(files):
            if d.split("/")[0] == top and f"{d}/__init__.py" not in fs:
                print(f"  init   {d}/__init__.py ({'verbatim' if init_text(d, fs) else 'empty'})")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("what", nargs="*", default=["pkgs", "d2l", "keras", "stubs"])
    ap.add_argument("--only", nargs="*", help="d2l / keras files by name")
    ap.add_argument("--list", action="store_true", help="print the carried modules and exit")
    a = ap.parse_args()
    if a.list:
        list_carried()
    else:
        if "stubs" in a.what:
            build_stubs()
        if "pkgs" in a.what:
            build_pkgs()
        if "d2l" in a.what:
            build_d2l(a.only)
        if "keras" in a.what:
            build_keras(a.only)
