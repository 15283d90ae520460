"""Model families, one module each; variants are data (depth, block type), not copies."""

from ..errors import InputValueError
from .autoencoder import ConvAutoencoder, conv_autoencoder
from .resnet import BasicBlock, CifarResNet, PlainBlock, PreActBlock, plain20, plain32, plain44, plain56, plain110
from .resnet import resnet20, resnet32, resnet44, resnet56, resnet110
from .simple_cnn import SmallCNN, small_cnn
from .inception import InceptionModule, InceptionNet, inception_small
from .unet import UNet, unet, unet_small
from .vgg import VGG, conv_stack, vgg_medium, vgg_small, vgg_tiny
from .parts import PooledLinearHead, record_shapes

REGISTRY = {
    builder.__name__: builder
    for builder in (small_cnn, resnet20, resnet32, resnet44, resnet56, resnet110,
                    plain20, plain32, plain44, plain56, plain110, conv_autoencoder,
                    vgg_tiny, vgg_small, vgg_medium, inception_small, unet, unet_small)
}


def build_model(name: str, **kwargs):
    """Build a registered model by its name, e.g. ``build_model('resnet20', num_classes=2)``."""
    try:
        return REGISTRY[name](**kwargs)
    except KeyError:
        raise InputValueError(f"Unknown model {name!r}; registered models: {sorted(REGISTRY)}.") from None
