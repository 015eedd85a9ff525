from .auto_augment import RandAugment, AutoAugment, rand_augment_ops, auto_augment_policy,\
    rand_augment_transform, auto_augment_transform
from .config import resolve_data_config, resolve_model_data_config
from .model_config import resolve_input_data_config
from .constants import *
from .dataset import ImageDataset, IterableImageDataset, AugMixDataset
from .dataset_factory import create_dataset
from .dataset_info import CustomDatasetInfo, DatasetInfo, DatasetInfoLabelMapper, LabelMappingCoverage
from .imagenet_info import ImageNetInfo, infer_imagenet_subset
from .loader import create_loader
from .mixup import Mixup, FastCollateMixup
from .naflex_dataset import NaFlexMapDatasetWrapper, calculate_naflex_batch_size
from .naflex_loader import create_naflex_loader
from .naflex_mixup import NaFlexMixup, pairwise_mixup_target, mix_batch_variable_size
from .naflex_transforms import (
    ResizeToSequence,
    CenterCropToSequence,
    RandomCropToSequence,
    RandomResizedCropToSequence,
    ResizeKeepRatioToSequence,
    Patchify,
    patchify_image,
)
from .scheduled_sampler import ScheduledBatchSampler, ScheduledTransformDataset
from .target_transforms import MultiLabelTarget
from .readers import create_reader
from .readers import get_img_extensions, is_img_extension, set_img_extensions, add_img_extensions, del_img_extensions
from .real_labels import RealLabelsImagenet
from .transforms import *
from .transforms_factory import create_transform
