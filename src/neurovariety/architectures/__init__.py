"""Architectures: frozen, validated, hashable values."""

from .activations import Activation as Activation
from .activations import GenericPolynomial as GenericPolynomial
from .activations import Monomial as Monomial
from .activations import Polynomial as Polynomial
from .activations import parse_activation as parse_activation
from .attention import Attention as Attention
from .base import Architecture as Architecture
from .base import Layer as Layer
from .cnn import CNN as CNN
from .cnn import LCN as LCN
from .conv import ConvNet as ConvNet
from .conv import LinearConvNet as LinearConvNet
from .conv import conv_network as conv_network
from .mlp import MLP as MLP
from .spec import parse_architecture as parse_architecture
