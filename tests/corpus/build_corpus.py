"""Rebuild the committed corpus (tests/corpus/torch, tests/corpus/keras, tests/corpus/_stubs) from PyPI files.

This is the recipe that made the committed files; it is not run by the tests.  It reads only files that come
from PyPI distributions:

    pip download --no-deps torchvision==0.29.1 d2l==1.0.3 timm==1.0.31 -d /work/dl && unzip each wheel
    into /work/dl/x  (WHEELS below), and keras==3.15.1 as installed in site-packages.

Each corpus file is:  a header naming the source  +  the source text verbatim (whole file, or the stated
contiguous line range)  +  a marked block with the instantiations the harness and shapelens look at.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import shutil

HERE = pathlib.Path(__file__).resolve().parent
WHEELS = pathlib.Path(os.environ.get("CORPUS_WHEELS", "/work/dl/x"))
MARK = "# ---- shapelens corpus: added below (not in the source) ----"

TV = ("torchvision==0.29.1", "BSD-3-Clause (torchvision LICENSE, copy in tests/corpus/LICENSES/torchvision.txt)")
D2L = ("d2l==1.0.3", "MIT-0 (d2l LICENSE-SAMPLECODE, sample code licence, copy in tests/corpus/LICENSES/d2l.txt)")
TIMM = ("timm==1.0.31", "Apache-2.0 (timm, copy in tests/corpus/LICENSES/timm-apache-2.0.txt)")
# d2l/torch.py ends with aliases the classes use (d2l.zeros, d2l.astype, ...): "# Alias defined in config.ini".
D2L_ALIASES = (3471, 3515)
TA = ("torchaudio==2.11.1", "BSD-2-Clause (torchaudio LICENSE, copy in tests/corpus/LICENSES/torchaudio.txt)")
KERAS = ("keras==3.15.1", "Apache-2.0 (keras LICENSE, copy in tests/corpus/LICENSES/keras.txt)")


def keras_root() -> pathlib.Path:
    import importlib.util
    return pathlib.Path(importlib.util.find_spec("keras").submodule_search_locations[0])


# (corpus file, (dist, licence), path inside the package, package the file is executed in, line range or
#  None, added block)
TORCH = [
    ("tv_alexnet", TV, "torchvision/models/alexnet.py", "torchvision.models", None, """
# shapelens: input=(2, 3, 64, 64)
model = alexnet(num_classes=10)
"""),
    ("tv_vgg", TV, "torchvision/models/vgg.py", "torchvision.models", None, """
# shapelens: input=(1, 3, 32, 32)
model = vgg11(num_classes=10)
# shapelens: input=(1, 3, 32, 32)
model_bn = vgg13_bn(num_classes=10)
"""),
    ("tv_resnet", TV, "torchvision/models/resnet.py", "torchvision.models", None, """
# shapelens: input=(2, 3, 64, 64)
model = resnet18()
# shapelens: input=(1, 3, 64, 64)
model_50 = resnet50(num_classes=10)
# shapelens: input=(1, 3, 64, 64)
model_next = resnext50_32x4d(num_classes=10)
"""),
    ("tv_densenet", TV, "torchvision/models/densenet.py", "torchvision.models", None, """
# shapelens: input=(1, 3, 64, 64)
model = densenet121(num_classes=10)
"""),
    ("tv_googlenet", TV, "torchvision/models/googlenet.py", "torchvision.models", None, """
# shapelens: input=(1, 3, 64, 64)
model = googlenet(num_classes=10)
"""),
    ("tv_inception", TV, "torchvision/models/inception.py", "torchvision.models", None, """
# shapelens: input=(1, 3, 96, 96)
model = inception_v3(num_classes=10)
"""),
    ("tv_mobilenetv2", TV, "torchvision/models/mobilenetv2.py", "torchvision.models", None, """
# shapelens: input=(2, 3, 64, 64)
model = mobilenet_v2(num_classes=10)
# shapelens: input=(2, 3, 64, 64)
model_w = mobilenet_v2(width_mult=0.75)
"""),
    ("tv_mobilenetv3", TV, "torchvision/models/mobilenetv3.py", "torchvision.models", None, """
# shapelens: input=(2, 3, 64, 64)
model = mobilenet_v3_small(num_classes=10)
# shapelens: input=(2, 3, 64, 64)
model_large = mobilenet_v3_large()
"""),
    ("tv_mnasnet", TV, "torchvision/models/mnasnet.py", "torchvision.models", None, """
# shapelens: input=(2, 3, 64, 64)
model = mnasnet0_5(num_classes=10)
# shapelens: input=(2, 3, 64, 64)
model_b = mnasnet1_0()
"""),
    ("tv_shufflenetv2", TV, "torchvision/models/shufflenetv2.py", "torchvision.models", None, """
# shapelens: input=(2, 3, 64, 64)
model = shufflenet_v2_x0_5(num_classes=10)
# shapelens: input=(2, 3, 64, 64)
model_b = shufflenet_v2_x1_0()
"""),
    ("tv_squeezenet", TV, "torchvision/models/squeezenet.py", "torchvision.models", None, """
# shapelens: input=(2, 3, 64, 64)
model = squeezenet1_0(num_classes=10)
# shapelens: input=(2, 3, 64, 64)
model_b = squeezenet1_1()
"""),
    ("tv_efficientnet", TV, "torchvision/models/efficientnet.py", "torchvision.models", None, """
# shapelens: input=(1, 3, 64, 64)
model = efficientnet_b0(num_classes=10)
# shapelens: input=(1, 3, 64, 64)
model_v2 = efficientnet_v2_s(num_classes=10)
"""),
    ("tv_regnet", TV, "torchvision/models/regnet.py", "torchvision.models", None, """
# shapelens: input=(2, 3, 64, 64)
model = regnet_y_400mf(num_classes=10)
# shapelens: input=(2, 3, 64, 64)
model_x = regnet_x_800mf()
"""),
    ("tv_convnext", TV, "torchvision/models/convnext.py", "torchvision.models", None, """
# shapelens: input=(1, 3, 64, 64)
model = convnext_tiny(num_classes=10)
"""),
    ("tv_vit", TV, "torchvision/models/vision_transformer.py", "torchvision.models", None, """
# shapelens: input=(2, 3, 32, 32)
model = VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=4, hidden_dim=64, mlp_dim=128, num_classes=10)
# shapelens: input=(1, 3, 64, 64)
model_b16 = vit_b_16(image_size=64, num_classes=10)
"""),
    ("tv_swin", TV, "torchvision/models/swin_transformer.py", "torchvision.models", None, """
# shapelens: input=(1, 3, 64, 64)
model = swin_t(num_classes=10)
# shapelens: input=(1, 3, 64, 64)
model_v2 = swin_v2_t(num_classes=10)
"""),
    ("tv_maxvit", TV, "torchvision/models/maxvit.py", "torchvision.models", None, """
# shapelens: input=(1, 3, 224, 224)
model = maxvit_t(num_classes=10)
"""),
    ("tv_seg_fcn", TV, "torchvision/models/segmentation/fcn.py", "torchvision.models.segmentation", None, """
# shapelens: input=(1, 3, 64, 64)
model = fcn_resnet50(weights_backbone=None, num_classes=5)
"""),
    ("tv_seg_deeplabv3", TV, "torchvision/models/segmentation/deeplabv3.py", "torchvision.models.segmentation", None, """
# shapelens: input=(1, 3, 64, 64)
model = deeplabv3_mobilenet_v3_large(weights_backbone=None, num_classes=5)
"""),
    ("tv_seg_lraspp", TV, "torchvision/models/segmentation/lraspp.py", "torchvision.models.segmentation", None, """
# shapelens: input=(1, 3, 64, 64)
model = lraspp_mobilenet_v3_large(weights_backbone=None, num_classes=5)
"""),
    ("tv_video_resnet", TV, "torchvision/models/video/resnet.py", "torchvision.models.video", None, """
# shapelens: input=(1, 3, 4, 32, 32)
model = r3d_18(num_classes=10)
# shapelens: input=(1, 3, 4, 32, 32)
model_2plus1 = r2plus1d_18(num_classes=10)
"""),
    ("tv_video_swin3d", TV, "torchvision/models/video/swin_transformer.py", "torchvision.models.video", None, """
# shapelens: input=(1, 3, 4, 64, 64)
model = swin3d_t(num_classes=10)
"""),
    ("tv_raft", TV, "torchvision/models/optical_flow/raft.py", "torchvision.models.optical_flow", None, """
# corpus: args=(torch.randn(1, 3, 128, 128), torch.randn(1, 3, 128, 128), 2)
# shapelens: input=(1, 3, 128, 128)
model = raft_small()
"""),
    ("tv_q_resnet", TV, "torchvision/models/quantization/resnet.py", "torchvision.models.quantization", None, """
# shapelens: input=(2, 3, 64, 64)
model = resnet18(quantize=False)
"""),
    ("tv_q_googlenet", TV, "torchvision/models/quantization/googlenet.py", "torchvision.models.quantization", None, """
# shapelens: input=(1, 3, 64, 64)
model = googlenet(quantize=False, num_classes=10)
"""),
    ("tv_q_inception", TV, "torchvision/models/quantization/inception.py", "torchvision.models.quantization", None, """
# shapelens: input=(1, 3, 96, 96)
model = inception_v3(quantize=False, num_classes=10)
"""),
    ("tv_q_mobilenetv2", TV, "torchvision/models/quantization/mobilenetv2.py", "torchvision.models.quantization", None, """
# shapelens: input=(2, 3, 64, 64)
model = mobilenet_v2(quantize=False, num_classes=10)
"""),
    ("tv_q_mobilenetv3", TV, "torchvision/models/quantization/mobilenetv3.py", "torchvision.models.quantization", None, """
# shapelens: input=(2, 3, 64, 64)
model = mobilenet_v3_large(quantize=False, num_classes=10)
"""),
    ("tv_q_shufflenetv2", TV, "torchvision/models/quantization/shufflenetv2.py", "torchvision.models.quantization", None, """
# shapelens: input=(2, 3, 64, 64)
model = shufflenet_v2_x0_5(quantize=False, num_classes=10)
"""),
    # d2l: torch.py defines `d2l = sys.modules[__name__]`, so every class refers to its bases through the
    # file itself; each corpus file is lines 1..N of d2l/torch.py, up to the last class it instantiates.
    ("d2l_lenet", D2L, "d2l/torch.py", None, [(1, 580), D2L_ALIASES], """
# shapelens: input=(2, 1, 28, 28)
model = LeNet(num_classes=10)
# shapelens: input=(2, 1, 28, 28)
model_softmax = SoftmaxRegression(num_outputs=10, lr=0.1)
# shapelens: input=(4, 2)
model_linreg = LinearRegression(lr=0.03)
"""),
    ("d2l_resnet", D2L, "d2l/torch.py", None, [(1, 1478), D2L_ALIASES], """
# shapelens: input=(2, 1, 96, 96)
model = resnet18(10)
# shapelens: input=(2, 3, 32, 32)
model_res = Residual(num_channels=32, use_1x1conv=True, strides=2)
# shapelens: input=(2, 64, 16, 16)
model_next = ResNeXtBlock(32, 16, 1, 1)
"""),
    ("d2l_rnn", D2L, "d2l/torch.py", None, [(1, 838), D2L_ALIASES], """
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
    ("d2l_seq2seq", D2L, "d2l/torch.py", None, [(1, 1028), D2L_ALIASES], """
# corpus: args=(torch.randint(0, 20, (2, 9)),)
# shapelens: input=(2, 9)
model = Seq2SeqEncoder(vocab_size=20, embed_size=8, num_hiddens=16, num_layers=2)
"""),
    ("d2l_attention", D2L, "d2l/torch.py", None, [(1, 1253), D2L_ALIASES], """
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
    ("d2l_transformer", D2L, "d2l/torch.py", None, [(1, 1297), D2L_ALIASES], """
# corpus: args=(torch.randn(2, 100, 24), torch.tensor([3, 2]))
# shapelens: input=(2, 100, 24)
model = TransformerEncoderBlock(num_hiddens=24, ffn_num_hiddens=48, num_heads=8, dropout=0.5)
# corpus: args=(torch.ones((2, 100), dtype=torch.long), torch.tensor([3, 2]))
# shapelens: input=(2, 100)
model_enc = TransformerEncoder(vocab_size=200, num_hiddens=24, ffn_num_hiddens=48, num_heads=8, num_blks=2, dropout=0.5)
"""),
    ("d2l_bert", D2L, "d2l/torch.py", None, [(1, 2290), D2L_ALIASES], """
# corpus: args=(torch.randint(0, 100, (2, 8)), torch.tensor([[0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1, 1, 1]]), None)
# shapelens: input=(2, 8)
model = BERTEncoder(vocab_size=100, num_hiddens=32, ffn_num_hiddens=64, num_heads=4, num_blks=2, dropout=0.2)
# corpus: args=(torch.randint(0, 100, (2, 8)), torch.tensor([[0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1, 1, 1]]), None, torch.tensor([[1, 5, 2], [6, 1, 5]]))
# shapelens: input=(2, 8)
model_bert = BERTModel(vocab_size=100, num_hiddens=32, ffn_num_hiddens=64, num_heads=4, num_blks=2, dropout=0.2, max_len=100)
"""),
    ("tv_det_backbone", TV, "torchvision/models/detection/backbone_utils.py", "torchvision.models.detection", None, """
# shapelens: input=(1, 3, 64, 64)
model = resnet_fpn_backbone(backbone_name="resnet18", weights=None, trainable_layers=2)
# shapelens: input=(1, 3, 64, 64)
model_mnv3 = mobilenet_backbone(backbone_name="mobilenet_v3_small", weights=None, fpn=True, trainable_layers=1)
"""),
    # torchaudio: self-contained model files (only torch imports).
    ("ta_deepspeech", TA, "torchaudio/models/deepspeech.py", None, None, """
# shapelens: input=(2, 1, 50, 40)
model = DeepSpeech(n_feature=40, n_hidden=64, n_class=10)
"""),
    ("ta_wav2letter", TA, "torchaudio/models/wav2letter.py", None, None, """
# shapelens: input=(2, 13, 100)
model = Wav2Letter(num_classes=40, input_type="mfcc", num_features=13)
# shapelens: input=(1, 1, 4000)
model_wave = Wav2Letter(num_classes=10)
"""),
    ("ta_conv_tasnet", TA, "torchaudio/models/conv_tasnet.py", None, None, """
# shapelens: input=(1, 1, 800)
model = ConvTasNet(num_sources=2, enc_kernel_size=16, enc_num_feats=64, msk_kernel_size=3, msk_num_feats=32, msk_num_hidden_feats=64, msk_num_layers=2, msk_num_stacks=2)
"""),
    ("ta_conformer", TA, "torchaudio/models/conformer.py", None, None, """
# corpus: args=(torch.randn(2, 10, 32), torch.tensor([10, 8]))
# shapelens: input=(2, 10, 32)
model = Conformer(input_dim=32, num_heads=4, ffn_dim=64, num_layers=2, depthwise_conv_kernel_size=7)
"""),
    ("ta_wavernn", TA, "torchaudio/models/wavernn.py", None, None, """
# corpus: args=(torch.randn(1, 1, 1200), torch.randn(1, 1, 32, 10))
# shapelens: input=(1, 1, 1200)
model = WaveRNN(upsample_scales=[5, 5, 8], n_classes=512, hop_length=200, n_res_block=2, n_rnn=64, n_fc=64, kernel_size=5, n_freq=32, n_hidden=32, n_output=32)
"""),
    ("ta_tacotron2", TA, "torchaudio/models/tacotron2.py", None, None, """
# corpus: args=(torch.randint(0, 20, (2, 8)), torch.tensor([8, 6]), torch.randn(2, 80, 12), torch.tensor([12, 10]))
# shapelens: input=(2, 8)
model = Tacotron2(n_symbol=20)
"""),
    # timm: executed as timm.models.<file>; timm/layers is copied verbatim into _stubs.
    ("timm_convmixer", TIMM, "timm/models/convmixer.py", "timm.models", None, """
# shapelens: input=(2, 3, 64, 64)
model = ConvMixer(dim=64, depth=4, kernel_size=7, patch_size=7, num_classes=10)
# shapelens: input=(1, 3, 64, 64)
model_768 = convmixer_768_32(num_classes=10)
"""),
    ("timm_mlp_mixer", TIMM, "timm/models/mlp_mixer.py", "timm.models", None, """
# shapelens: input=(2, 3, 64, 64)
model = mixer_s16_224(img_size=64, num_classes=10)
# shapelens: input=(2, 3, 64, 64)
model_gmlp = gmlp_ti16_224(img_size=64, num_classes=10)
"""),
    ("timm_dla", TIMM, "timm/models/dla.py", "timm.models", None, """
# shapelens: input=(1, 3, 64, 64)
model = dla34(num_classes=10)
# shapelens: input=(1, 3, 64, 64)
model_46c = dla46_c(num_classes=10)
"""),
    ("timm_selecsls", TIMM, "timm/models/selecsls.py", "timm.models", None, """
# shapelens: input=(1, 3, 64, 64)
model = selecsls42b(num_classes=10)
"""),
    ("timm_senet", TIMM, "timm/models/senet.py", "timm.models", None, """
# shapelens: input=(1, 3, 64, 64)
model = legacy_seresnet18(num_classes=10)
# shapelens: input=(1, 3, 64, 64)
model_next = legacy_seresnext26_32x4d(num_classes=10)
"""),
    ("timm_inception_v4", TIMM, "timm/models/inception_v4.py", "timm.models", None, """
# shapelens: input=(1, 3, 128, 128)
model = inception_v4(num_classes=10)
"""),
    ("timm_dpn", TIMM, "timm/models/dpn.py", "timm.models", None, """
# shapelens: input=(1, 3, 64, 64)
model = dpn68b(num_classes=10)
"""),
    ("timm_ghostnet", TIMM, "timm/models/ghostnet.py", "timm.models", None, """
# shapelens: input=(1, 3, 64, 64)
model = ghostnet_050(num_classes=10)
# shapelens: input=(1, 3, 64, 64)
model_v2 = ghostnetv2_100(num_classes=10)
"""),
    ("timm_rexnet", TIMM, "timm/models/rexnet.py", "timm.models", None, """
# shapelens: input=(1, 3, 64, 64)
model = rexnet_100(num_classes=10)
"""),
    ("timm_vgg", TIMM, "timm/models/vgg.py", "timm.models", None, """
# shapelens: input=(1, 3, 64, 64)
model = vgg11_bn(num_classes=10)
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
]


def header(name, dist, licence, path, package, lines, total):
    part = "whole file" if lines is None else "lines " + " and ".join(f"{a}-{b}" for a, b in lines) + f" of {total}"
    out = [
        f"# shapelens corpus file {name}.py",
        f"# Source: {dist[0]} from PyPI, {path} ({part}), copied verbatim below.",
        f"# Licence: {licence}",
    ]
    if package:
        out.append(f"# corpus: package={package}")
    out.append("# ---- verbatim source below ----")
    return "\n".join(out) + "\n"


def write(dest: pathlib.Path, head: str, text: str, added: str) -> None:
    if not text.endswith("\n"):
        text += "\n"
    dest.write_text(head + text + "\n" + MARK + added, encoding="utf-8")


def build_torch(only=None):
    outdir = HERE / "torch"
    outdir.mkdir(exist_ok=True)
    for name, dist, path, package, lines, added in TORCH:
        if only and name not in only:
            continue
        src = (WHEELS / path).read_text(encoding="utf-8")
        all_lines = src.splitlines(keepends=True)
        if lines is None:
            text = src
        else:
            parts = []
            for k, (a, b) in enumerate(lines):
                if k:
                    parts.append(f"# ---- shapelens corpus: lines {lines[k - 1][1] + 1}-{a - 1} of {path} omitted here ----\n")
                parts.append("".join(all_lines[a - 1:b]))
            text = "".join(parts)
        write(outdir / f"{name}.py", header(name, dist, dist[1], path, package, lines, len(all_lines)), text, added)


def build_keras(only=None):
    outdir = HERE / "keras"
    outdir.mkdir(exist_ok=True)
    root = keras_root()
    for name, path, added in KERAS_FILES:
        if only and name not in only:
            continue
        src = (root / path).read_text(encoding="utf-8")
        write(outdir / f"{name}.py", header(name, KERAS, KERAS[1], "keras/" + path, None, None, 0), src, added)


# Verbatim copies the harness needs to execute torchvision files (model code the files import).
TV_STUB_COPIES = [
    "torchvision/_utils.py",
    "torchvision/ops/misc.py",
    "torchvision/ops/stochastic_depth.py",
    "torchvision/models/_api.py",
    "torchvision/models/_meta.py",
    "torchvision/models/_utils.py",
    "torchvision/models/resnet.py",
    "torchvision/models/googlenet.py",
    "torchvision/models/inception.py",
    "torchvision/models/mobilenetv2.py",
    "torchvision/models/mobilenetv3.py",
    "torchvision/models/shufflenetv2.py",
    "torchvision/models/swin_transformer.py",
    "torchvision/models/segmentation/fcn.py",
    "torchvision/models/mobilenet.py",
    "torchvision/ops/feature_pyramid_network.py",
    "torchvision/models/segmentation/_utils.py",
    "torchvision/models/quantization/utils.py",
    "torchvision/models/optical_flow/_utils.py",
]


def build_stubs():
    stubs = HERE / "_stubs"
    for rel in TV_STUB_COPIES:
        dest = stubs / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(WHEELS / rel, dest)
    # torchvision/utils.py: only the two functions the models use, verbatim (the rest needs PIL).
    src = (WHEELS / "torchvision/utils.py").read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, l in enumerate(src) if l.startswith("def _log_api_usage_once"))
    end = next(i for i, l in enumerate(src) if l.startswith("def _make_ntuple"))
    end = next(i for i in range(end + 1, len(src)) if src[i].startswith(("def ", "class ", "@"))) \
        if any(src[i].startswith(("def ", "class ", "@")) for i in range(end + 1, len(src))) else len(src)
    (stubs / "torchvision/utils.py").write_text(
        "# Verbatim excerpt of torchvision==0.29.1 torchvision/utils.py (BSD-3-Clause): the two helpers model\n"
        "# code imports; the rest of that file needs PIL.\n"
        "import collections\nfrom itertools import repeat\nfrom types import FunctionType\nfrom typing import Any\n\n"
        "import torch\n\n\n" + "".join(src[start:end]), encoding="utf-8")
    # timm: timm/layers whole, timm/data/constants.py, timm/models/_manipulate.py, _features.py verbatim.
    if (WHEELS / "timm").exists():
        if (stubs / "timm/layers").exists():
            shutil.rmtree(stubs / "timm/layers")
        shutil.copytree(WHEELS / "timm/layers", stubs / "timm/layers",
                        ignore=shutil.ignore_patterns("__pycache__"))
        for rel in ["timm/data/constants.py", "timm/models/_manipulate.py", "timm/models/_features.py",
                    "timm/models/_efficientnet_blocks.py", "timm/models/_efficientnet_builder.py"]:
            (stubs / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(WHEELS / rel, stubs / rel)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("what", nargs="*", default=["torch", "keras", "stubs"])
    ap.add_argument("--only", nargs="*")
    a = ap.parse_args()
    if "stubs" in a.what:
        build_stubs()
    if "torch" in a.what:
        build_torch(a.only)
    if "keras" in a.what:
        build_keras(a.only)
