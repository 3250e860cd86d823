"""Attention: ``F.scaled_dot_product_attention`` and ``F.multi_head_attention_forward``, as torch's.

Both are composed of Tensor ops (``matmul``, ``softmax``, ``where``, ``dropout``), so they run
on every backend and differentiate through autograd.  Mask conventions differ, as in torch:
a boolean ``attn_mask`` of ``scaled_dot_product_attention`` marks the positions that *take
part* (True = attend), while ``multi_head_attention_forward`` and ``nn.MultiheadAttention``
take True as *masked out*; float masks are added to the scores in both.
"""

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

import math
import warnings

from ...core import dtypes
from ...core.factories import arange, zeros
from ...core.ops.activation import softmax
from ...core.ops.elementwise import where
from ...core.ops.linear import linear
from ...core.ops.shape import cat
from .dropout import dropout

_NEGATIVE_INFINITY = float("-inf")


def _causal_keep(query_length, key_length, device):
    """Boolean ``(L, S)``: True on and below the diagonal (top-left aligned, as torch's ``tril``)."""
    rows = arange(query_length, device=device).unsqueeze(-1)
    columns = arange(key_length, device=device).unsqueeze(0)
    return columns <= rows


def _safe_softmax(scores):
    """Softmax over the last dim that gives 0 (not NaN) on rows where every score is -inf.

    torch's attention kernels do this for fully masked rows.  The scores of such rows are
    replaced before the softmax, so no NaN reaches the backward pass either.
    """
    fully_masked = (scores == _NEGATIVE_INFINITY).all(dim=-1, keepdim=True)
    weights = softmax(where(fully_masked, 0.0, scores), dim=-1)
    return where(fully_masked, 0.0, weights)


def _dtype_text(dtype):
    return {"float64": "double", "float32": "float", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
            "int64": "long int", "int32": "int", "bool": "bool"}.get(dtype.name, dtype.name)


def _check_attention_inputs(query, key, value, attn_mask):
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_dtype_text(query.dtype)} key.dtype: {_dtype_text(key.dtype)} and value.dtype: "
                           f"{_dtype_text(value.dtype)} instead.")
    if attn_mask is not None and attn_mask.dtype != dtypes.bool and not attn_mask.dtype.is_floating_point \
            and attn_mask.dtype != query.dtype:
        raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {_dtype_text(attn_mask.dtype)} and  query.dtype: "
                           f"{_dtype_text(query.dtype)} instead.")
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(f"scaled_dot_product_attention: query, key and value need at least 2 dimensions "
                           f"(sequence, embedding), got {query.dim()}, {key.dim()} and {value.dim()}")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"scaled_dot_product_attention: query and key must have the same embedding size (last "
                           f"dim), got {query.shape[-1]} and {key.shape[-1]}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: key and value must have the same sequence length "
                           f"(dim -2), got {key.shape[-2]} and {value.shape[-2]}")


def _repeat_heads(tensor, repeats):
    """``tensor.repeat_interleave(repeats, dim=-3)``: each key/value head serves ``repeats`` query heads."""
    shape = tuple(tensor.shape)
    expanded = tensor.unsqueeze(-3).expand(shape[:-3] + (shape[-3], repeats) + shape[-2:])
    return expanded.reshape(shape[:-3] + (shape[-3] * repeats,) + shape[-2:])


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """``softmax(query @ key^T * scale + mask) @ value`` over the last two dims, as torch's.

    query ``(..., L, E)``, key ``(..., S, E)``, value ``(..., S, Ev)`` -> ``(..., L, Ev)``.
    ``attn_mask``: boolean (True = take part) or float (added to the scores), broadcast to ``(..., L, S)``;
    ``is_causal``: each query position sees keys up to its own index (no ``attn_mask`` then);
    ``dropout_p``: dropout on the attention weights (always applied when > 0, as torch);
    ``scale``: defaults to ``1 / sqrt(E)``; ``enable_gqa``: key/value with fewer heads (dim -3) than query,
    each serving a group of query heads.  Rows with no key to attend give 0, as torch.
    """
    _check_attention_inputs(query, key, value, attn_mask)
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if enable_gqa and query.dim() >= 3 and key.dim() >= 3:
        query_heads, key_heads, value_heads = query.shape[-3], key.shape[-3], value.shape[-3]
        if query_heads % key_heads or query_heads % value_heads:
            raise RuntimeError(f"Number of heads in key and value must divide the number of heads in query; got "
                               f"{query_heads} query, {key_heads} key and {value_heads} value heads")
        if key_heads != query_heads:
            key = _repeat_heads(key, query_heads // key_heads)
        if value_heads != query_heads:
            value = _repeat_heads(value, query_heads // value_heads)
    scale_factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale_factor
    if is_causal:
        scores = where(_causal_keep(query.shape[-2], key.shape[-2], query.device), scores, _NEGATIVE_INFINITY)
    elif attn_mask is not None:
        if attn_mask.dtype == dtypes.bool:
            scores = where(attn_mask, scores, _NEGATIVE_INFINITY)
        else:
            scores = scores + attn_mask
    weights = _safe_softmax(scores)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return weights @ value


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask as a float one (-inf where True); float masks unchanged; other dtypes refused."""
    if mask is None:
        return None
    if mask.dtype != dtypes.bool and not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                      f"instead.", stacklevel=3)
    if mask.dtype == dtypes.bool:
        return where(mask, _NEGATIVE_INFINITY, zeros(mask.shape, dtype=target_type, device=mask.device))
    return mask


def _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the inputs are batched; torch's shape errors otherwise."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError(f"For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(f"For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                                 f"found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                                 f"{key.dim()}-D and {value.dim()}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(f"For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                                     f"but found {attn_mask.dim()}-D tensor instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query "
                         f"tensor")


def _pad_last(mask):
    """Append one zero (attend) column to a float mask, for the extra bias_k / zero_attn key."""
    return cat([mask, zeros(tuple(mask.shape[:-1]) + (1,), dtype=mask.dtype, device=mask.device)], -1)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """Multi-head attention on sequence-first ``(L, N, E)`` (or unbatched ``(L, E)``) inputs, as torch's.

    Returns ``(attn_output, attn_weights)``; ``attn_weights`` is None unless ``need_weights`` (then
    ``(N, L, S)`` averaged over heads, or ``(N, num_heads, L, S)`` with ``average_attn_weights=False``).
    Boolean masks mark positions that are *not* attended (True = masked out).
    """
    is_batched = _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    target_length, batch, embed_dim = query.shape
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       None if attn_mask is None else attn_mask.dtype, "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        # torch then trusts the hint: attn_mask is taken to be the causal mask and dropped.
        attn_mask = None
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                                 f"{value.shape[:2]}")
        biases = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q = linear(query, q_proj_weight, biases[0])
        k = linear(key, k_proj_weight, biases[1])
        v = linear(value, v_proj_weight, biases[2])
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
        weights = in_proj_weight.chunk(3)
        biases = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = (linear(source, weight, bias) for source, weight, bias in zip((query, key, value), weights, biases))
    source_length = key.shape[0]
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (target_length, source_length):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(target_length, source_length)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif tuple(attn_mask.shape) != (batch * num_heads, target_length, source_length):
            raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                               f"{(batch * num_heads, target_length, source_length)}.")
    if (bias_k is None) != (bias_v is None):
        raise AssertionError("bias_k is set but bias_v is None" if bias_v is None else "bias_v is set but bias_k is None")
    if bias_k is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key." if static_k is not None
                                 else "bias cannot be added to static value.")
        k = cat([k, bias_k.expand(1, batch, embed_dim)], 0)
        v = cat([v, bias_v.expand(1, batch, embed_dim)], 0)
        attn_mask = None if attn_mask is None else _pad_last(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_last(key_padding_mask)
    q = q.reshape(target_length, batch * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, batch, num_heads, head_dim, "static_k")
    v = _heads(v, static_v, batch, num_heads, head_dim, "static_v")
    if add_zero_attn:
        zero_shape = (batch * num_heads, 1, head_dim)
        k = cat([k, zeros(zero_shape, dtype=k.dtype, device=k.device)], 1)
        v = cat([v, zeros(zero_shape, dtype=v.dtype, device=v.device)], 1)
        attn_mask = None if attn_mask is None else _pad_last(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_last(key_padding_mask)
    source_length = k.shape[1]
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != batch:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {batch}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != source_length:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {source_length}, but got "
                                 f"{key_padding_mask.shape[1]}")
        padding = key_padding_mask.reshape(batch, 1, 1, source_length).expand(batch, num_heads, 1, source_length)
        padding = padding.reshape(batch * num_heads, 1, source_length)
        attn_mask = padding if attn_mask is None else attn_mask + padding
    if not training:
        dropout_p = 0.0
    if need_weights:
        # torch's explicit path: a plain softmax (a fully masked row gives NaN here, as in torch).
        scores = (q * math.sqrt(1.0 / float(head_dim))) @ k.transpose(-2, -1)
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = softmax(scores, dim=-1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p, True)
        output = weights @ v
        weights = weights.reshape(batch, num_heads, target_length, source_length)
        if average_attn_weights:
            weights = weights.mean(dim=1)
    else:
        if attn_mask is not None:
            if attn_mask.shape[0] == 1 and attn_mask.dim() == 3:
                attn_mask = attn_mask.unsqueeze(0)
            else:
                attn_mask = attn_mask.reshape(batch, num_heads, -1, source_length)
        output = scaled_dot_product_attention(q.reshape(batch, num_heads, target_length, head_dim),
                                              k.reshape(batch, num_heads, source_length, head_dim),
                                              v.reshape(batch, num_heads, source_length, head_dim),
                                              attn_mask, dropout_p, is_causal)
        output = output.reshape(batch * num_heads, target_length, head_dim)
        weights = None
    output = output.transpose(0, 1).reshape(target_length * batch, embed_dim)
    output = linear(output, out_proj_weight, out_proj_bias).reshape(target_length, batch, -1)
    if not is_batched:
        output = output.squeeze(1)
        if weights is not None:
            weights = weights.squeeze(0)
    return output, weights


def _heads(tensor, static, batch, num_heads, head_dim, name):
    """``(S, N, E)`` -> ``(N * heads, S, head_dim)``, or the caller's precomputed ``static`` one."""
    if static is None:
        return tensor.reshape(tensor.shape[0], batch * num_heads, head_dim).transpose(0, 1)
    if static.shape[0] != batch * num_heads:
        raise AssertionError(f"expecting {name}.size(0) of {batch * num_heads}, but got {static.shape[0]}")
    if static.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {static.shape[2]}")
    return static
