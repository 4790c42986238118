"""Equivariant building blocks of SODNet, each a small e3nn module with explicit irreps.

Edge convention (as in :class:`~supercon3d.graphs.CrystalGraph`): ``edge_index`` is
(neighbour, centre) and messages flow from the neighbour (source) to the centre.
"""

from __future__ import annotations

import torch
from e3nn import o3
from e3nn.nn import FullyConnectedNet, Gate
from torch import nn
from torch_geometric.utils import scatter, softmax


class EquivariantLayerNorm(nn.Module):
    """Layer norm on irreps: scalars are centred and scaled by their standard deviation; each
    l > 0 irrep type is divided by the root mean square of its channels' norms. A learned
    scale per channel (and a bias on scalars) follows."""

    def __init__(self, irreps: o3.Irreps, eps: float = 1e-5):
        super().__init__()
        self.irreps = o3.Irreps(irreps).simplify()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(self.irreps.num_irreps))
        n_scalars = sum(mul for mul, ir in self.irreps if ir.l == 0)
        self.bias = nn.Parameter(torch.zeros(n_scalars))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, channel, scalar = [], 0, 0
        for (mul, ir), piece in zip(self.irreps, self.irreps.slices()):
            field = x[:, piece].reshape(-1, mul, ir.dim)
            weight = self.weight[channel : channel + mul, None]
            if ir.l == 0:
                field = field - field.mean(dim=1, keepdim=True)
                field = field / (field.pow(2).mean(dim=1, keepdim=True) + self.eps).sqrt()
                field = field * weight + self.bias[scalar : scalar + mul, None]
                scalar += mul
            else:
                power = field.pow(2).sum(dim=2, keepdim=True).mean(dim=1, keepdim=True)
                field = field / (power + self.eps).sqrt() * weight
            out.append(field.reshape(-1, mul * ir.dim))
            channel += mul
        return torch.cat(out, dim=1)


def depthwise_instructions(
    irreps_in: o3.Irreps, irreps_sh: o3.Irreps, allowed: o3.Irreps
) -> tuple[o3.Irreps, list[tuple]]:
    """Output irreps and 'uvu' instructions of a depthwise tensor product: every input channel
    is coupled to each spherical harmonic on its own (no channel mixing), keeping only outputs
    whose irrep type is in ``allowed``."""
    allowed_types = {ir for _, ir in allowed}
    out, instructions = [], []
    for i, (mul, ir_in) in enumerate(irreps_in):
        for j, (_, ir_sh) in enumerate(irreps_sh):
            for ir_out in ir_in * ir_sh:
                if ir_out in allowed_types:
                    instructions.append((i, j, len(out), "uvu", True))
                    out.append((mul, ir_out))
    return o3.Irreps(out), instructions


def gate_for(irreps_out: o3.Irreps) -> Gate:
    """A gate activation whose output is ``irreps_out``: SiLU on scalars, each l > 0 channel
    multiplied by a sigmoid of its own extra scalar."""
    irreps_out = o3.Irreps(irreps_out)
    scalars = o3.Irreps([(mul, ir) for mul, ir in irreps_out if ir.l == 0])
    gated = o3.Irreps([(mul, ir) for mul, ir in irreps_out if ir.l > 0])
    gates = o3.Irreps(f"{gated.num_irreps}x0e") if gated.num_irreps else o3.Irreps("")
    return Gate(
        scalars, [torch.nn.functional.silu] * len(scalars),
        gates, [torch.sigmoid] * len(gates),
        gated,
    )  # fmt: skip


def head_index(irreps: o3.Irreps, heads: int) -> torch.Tensor:
    """For each component of ``irreps``, the attention head its channel belongs to: the
    channels of every irrep type are split into ``heads`` equal groups."""
    index = []
    for mul, ir in irreps:
        if mul % heads:
            raise ValueError(f"multiplicity {mul} of {ir} is not divisible by {heads} heads")
        per_head = mul // heads
        index.append(
            torch.arange(mul).div(per_head, rounding_mode="floor").repeat_interleave(ir.dim)
        )
    return torch.cat(index)


class FactoredMessage:
    """The depthwise tensor product of an ``a x0e + b x1o`` message with l <= 1 spherical
    harmonics, followed by the two linear maps that read it (attention logits, values),
    computed without forming the product's (E, 4a + 4b) output.

    Exact rearrangement of the same sums: each l = 1 output of the product is a per-edge
    scalar times either the edge direction or the message's own vector, and a linear map of
    l = 1 irreps mixes channels only, so the maps act on the (E, a) and (E, b) scalar factors
    and the direction is multiplied in afterwards. The maps are read as matrices from the
    e3nn modules at each call (their weights may be a fold model's, see ``functional_call``);
    the tensor product's path constants are read from it once. The result and its gradients
    equal the e3nn modules' to float rounding (tested); it moves a fraction of the memory
    (``benchmarks/attention_speed.py`` times both).
    """

    def __init__(self, tensor_product: o3.TensorProduct, irreps_value: o3.Irreps):
        irreps_in = tensor_product.irreps_in1
        self.scalars, self.vectors = irreps_in[0].mul, irreps_in[1].mul
        self.mid_dim = tensor_product.irreps_out.dim
        self.value_scalars = sum(mul for mul, ir in irreps_value if ir.l == 0)
        self.path_constants = self._path_constants(tensor_product)
        a, b = self.scalars, self.vectors
        # rows of the product's output (layout a x0e + a x1o + b x1o + b x0e): its scalars,
        # and the first component of each l = 1 channel of either l = 1 block
        self.scalar_rows = torch.cat([torch.arange(a), torch.arange(4 * a + 3 * b, self.mid_dim)])
        self.direction_rows = a + 3 * torch.arange(a)
        self.vector_rows = 4 * a + 3 * torch.arange(b)
        # columns of the value map's output (layout s x0e + b x1o): component 0 of each l = 1
        self.value_vector_columns = self.value_scalars + 3 * torch.arange(b)

    @staticmethod
    def applies(irreps_node: o3.Irreps, irreps_sh: o3.Irreps) -> bool:
        """Whether a message of ``irreps_node`` with harmonics ``irreps_sh`` has this form."""
        node, sh = o3.Irreps(irreps_node), o3.Irreps(irreps_sh)
        types = [ir for _, ir in node]
        return types == [o3.Irrep("0e"), o3.Irrep("1o")] and sh == o3.Irreps("1x0e+1x1o")

    def _path_constants(self, tensor_product: o3.TensorProduct) -> tuple[float, ...]:
        """The product's normalisation of its four paths (0e x 0e, 0e x 1o, 1o x 0e, 1o x 1o),
        read off one edge with unit inputs."""
        a, b = self.scalars, self.vectors
        message = torch.zeros(1, a + 3 * b)
        message[0, 0] = message[0, a] = 1.0  # scalar channel 0; vector channel 0, component 0
        harmonics = torch.tensor([[1.0, 1.0, 0.0, 0.0]])  # l = 0 part 1; l = 1 component 0
        with torch.no_grad():
            out = tensor_product(message, harmonics, torch.ones(1, tensor_product.weight_numel))[0]
        return tuple(float(out[row]) for row in (0, a, 4 * a, 4 * a + 3 * b))

    def __call__(
        self,
        message: torch.Tensor,
        edge_sh: torch.Tensor,
        weights: torch.Tensor,
        to_logits: o3.Linear,
        to_value: o3.Linear,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``to_logits`` and ``to_value`` of the tensor product of ``message`` (E, a + 3b)
        with ``edge_sh`` (E, 4) under per-edge ``weights`` (E, 2a + 2b)."""
        a, b = self.scalars, self.vectors
        same_scalar, scalar_direction, vector_same, vector_direction = self.path_constants
        identity = torch.eye(self.mid_dim, dtype=message.dtype, device=message.device)
        logit_map, value_map = to_logits(identity), to_value(identity)
        direction_map = value_map[self.direction_rows][:, self.value_vector_columns]
        vector_map = value_map[self.vector_rows][:, self.value_vector_columns]

        scalar, vector = message[:, :a], message[:, a:].view(-1, b, 3)
        sh_scalar, direction = edge_sh[:, :1], edge_sh[:, 1:]
        w_same, w_direction, w_vector, w_dot = weights.split([a, a, b, b], dim=1)
        mid_scalars = torch.cat(
            [
                same_scalar * w_same * scalar * sh_scalar,
                vector_direction * w_dot * (vector * direction[:, None, :]).sum(dim=-1),
            ],
            dim=1,
        )
        logits = mid_scalars @ logit_map[self.scalar_rows]
        value_scalars = mid_scalars @ value_map[self.scalar_rows][:, : self.value_scalars]
        along_direction = (scalar_direction * w_direction * scalar) @ direction_map
        own_vector = (vector_same * w_vector * sh_scalar)[:, :, None] * vector
        value_vectors = along_direction[:, :, None] * direction[:, None, :] + torch.einsum(
            "eum,uv->evm", own_vector, vector_map
        )
        return logits, torch.cat([value_scalars, value_vectors.reshape(-1, 3 * b)], dim=1)


class GraphAttention(nn.Module):
    """Multi-head equivariant graph attention.

    A message on edge (j -> i) starts from linear maps of both end nodes, is coupled to the
    edge's spherical harmonics by a depthwise tensor product whose weights are an MLP of the
    (occupancy-weighted) radial features, then splits into attention logits (invariant, an
    MLP per head) and a gated value. Logits are softmax-normalised over each node's incoming
    edges; weighted values are summed and mixed by a final linear map.
    """

    def __init__(
        self,
        irreps_node: o3.Irreps,
        irreps_sh: o3.Irreps,
        radial_features: int,
        radial_hidden: int,
        heads: int,
        alpha_channels: int = 16,
    ):
        super().__init__()
        self.irreps_node = o3.Irreps(irreps_node)
        self.heads = heads
        self.source = o3.Linear(self.irreps_node, self.irreps_node)
        self.target = o3.Linear(self.irreps_node, self.irreps_node, biases=True)
        irreps_mid, instructions = depthwise_instructions(self.irreps_node, irreps_sh, irreps_node)
        self.tensor_product = o3.TensorProduct(
            self.irreps_node, irreps_sh, irreps_mid, instructions,
            shared_weights=False, internal_weights=False,
        )  # fmt: skip
        self.radial = FullyConnectedNet(
            [radial_features, radial_hidden, self.tensor_product.weight_numel],
            torch.nn.functional.silu,
        )
        self.alpha_channels = alpha_channels
        self.to_alpha = o3.Linear(irreps_mid, o3.Irreps(f"{heads * alpha_channels}x0e"))
        self.alpha_dot = nn.Parameter(torch.randn(heads, alpha_channels) / alpha_channels**0.5)
        self.value_gate = gate_for(self.irreps_node)
        self.to_value = o3.Linear(irreps_mid, self.value_gate.irreps_in)
        self.out = o3.Linear(self.irreps_node, self.irreps_node)
        self.register_buffer("head_of_component", head_index(self.irreps_node, heads))
        self.factored = (
            FactoredMessage(self.tensor_product, self.value_gate.irreps_in)
            if FactoredMessage.applies(self.irreps_node, irreps_sh)
            else None
        )

    def forward(
        self,
        x: torch.Tensor,
        edge_index: torch.Tensor,
        edge_sh: torch.Tensor,
        edge_radial: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Updated node features and the attention weights (E, heads)."""
        source, target = edge_index
        message = self.source(x)[source] + self.target(x)[target]
        weights = self.radial(edge_radial)
        if self.factored is None:
            message = self.tensor_product(message, edge_sh, weights)
            logits, value = self.to_alpha(message), self.to_value(message)
        else:
            logits, value = self.factored(message, edge_sh, weights, self.to_alpha, self.to_value)
        logits = logits.view(-1, self.heads, self.alpha_channels)
        logits = (torch.nn.functional.leaky_relu(logits, 0.2) * self.alpha_dot).sum(dim=-1)
        alpha = softmax(logits, target, num_nodes=x.shape[0])
        value = self.value_gate(value)
        value = value * alpha[:, self.head_of_component]
        return self.out(scatter(value, target, dim=0, dim_size=x.shape[0], reduce="sum")), alpha


class FeedForward(nn.Module):
    """Equivariant feed-forward: linear -> gate -> linear, hidden width ``expansion`` x."""

    def __init__(self, irreps_node: o3.Irreps, expansion: int = 2):
        super().__init__()
        hidden = o3.Irreps([(mul * expansion, ir) for mul, ir in o3.Irreps(irreps_node)])
        self.gate = gate_for(hidden)
        self.up = o3.Linear(irreps_node, self.gate.irreps_in, biases=True)
        self.down = o3.Linear(hidden, irreps_node)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(self.gate(self.up(x)))


class TransformerBlock(nn.Module):
    """Pre-norm block: x + attention(norm(x)), then x + feed-forward(norm(x))."""

    def __init__(
        self,
        irreps_node: o3.Irreps,
        irreps_sh: o3.Irreps,
        radial_features: int,
        radial_hidden: int,
        heads: int,
    ):
        super().__init__()
        self.norm_attention = EquivariantLayerNorm(irreps_node)
        self.attention = GraphAttention(
            irreps_node, irreps_sh, radial_features, radial_hidden, heads
        )
        self.norm_feed_forward = EquivariantLayerNorm(irreps_node)
        self.feed_forward = FeedForward(irreps_node)

    def forward(
        self,
        x: torch.Tensor,
        edge_index: torch.Tensor,
        edge_sh: torch.Tensor,
        edge_radial: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        update, alpha = self.attention(self.norm_attention(x), edge_index, edge_sh, edge_radial)
        x = x + update
        return x + self.feed_forward(self.norm_feed_forward(x)), alpha
