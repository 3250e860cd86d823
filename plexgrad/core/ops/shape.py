"""Shape ops: reshape/view, permute/transpose, expand, squeeze/unsqueeze, flatten,
cat/stack/split, flip, clone/contiguous.  View ops share storage with their input
(see ``plexgrad.core.views``); ``view`` refuses layouts it cannot alias, as torch does."""

__all__ = ["diagonal", "reshape", "view", "permute", "transpose", "t", "expand", "expand_as", "broadcast_to",
           "squeeze", "unsqueeze", "flatten", "unflatten", "contiguous", "is_contiguous", "clone", "cat",
           "stack", "flip", "narrow", "split", "chunk", "unbind", "movedim", "repeat", "stride",
           "view_op", "expand_to", "concatenate", "swapaxes", "hstack", "vstack"]

from .. import dtypes
from ..autograd.grad_mode import state as grad_state
from ..dispatch import table_of
from ..op import apply, cast, declare, kernel_for, promote_pair, record, _kernel_error
from ..shapes import element_count, contiguous_strides, shape_from_args, view_strides, wrap_dim
from ..tensor import Tensor
from ..layout import has_root_layout, strides as _strides
from ..views import MULTI_OUTPUT, make_view
from .elementwise import sum_to


def view_op(op, input, params, node_params=None):
    """Run a view kernel and wrap its result as a view of ``input``, recording autograd.

    The view remembers the step ``(op, params, node_params, rule, dtype)``, so writes
    through it reach its base on every engine and autograd can replay it."""
    device = input._device
    try:
        kernel = table_of(op)[device.type]
    except KeyError:
        kernel = kernel_for(op, device)
    try:
        data = kernel(input._data, *params)
    except Exception as error:
        raise _kernel_error(op.name, (input,), error) from error
    if node_params is None:
        node_params = params
    result = make_view(input, data, (op, params, node_params, op.rule, None))
    if grad_state.enabled and input._requires_grad:
        record(op.rule, (input,), result, (), node_params)
    return result


def _multi_output(views):
    """Mark the views one function returned together (split, chunk, unbind): torch refuses
    in-place writes through them under autograd."""
    for piece in views:
        meta = piece._view
        if meta is not None and meta.grad_base is not None and meta.creation == 0:
            meta.creation = MULTI_OUTPUT
    return views


# ---- reshape / view --------------------------------------------------------------------
def _reshape_backward(node, grad):
    return (grad.reshape(node.params),)


_reshape_op = declare("reshape", _reshape_backward, node_name="ViewBackward0", signature="x, shape: static")


def _infer_shape(shape, numel):
    shape = list(shape)
    unknown = [index for index, extent in enumerate(shape) if extent == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for extent in shape:
        if extent < -1:
            raise RuntimeError(f"invalid shape dimension {extent}")
    known = 1
    for extent in shape:
        if extent != -1:
            known *= extent
    if unknown:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{_format(shape)}' is invalid for input of size {numel}")
        shape[unknown[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{_format(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def _format(shape):
    return "[" + ", ".join(str(extent) for extent in shape) + "]"


def _can_view(input, shape):
    if getattr(input._data, "flags", None) is None and has_root_layout(input):
        return True  # immutable root arrays are contiguous
    flags = getattr(input._data, "flags", None)
    if flags is not None and flags.c_contiguous:
        return True
    return view_strides(tuple(input._data.shape), _strides(input), shape) is not None


def reshape(input, *shape):
    """Same data in a new shape (a view when the layout allows, else a copy); one extent may be -1."""
    shape = _infer_shape(shape_from_args(shape, "reshape(): shape"), element_count(input._data))
    if _can_view(input, shape):
        return view_op(_reshape_op, input, (shape,), tuple(input._data.shape))
    return view_op(_reshape_op, contiguous(input), (shape,), tuple(input._data.shape))


def view(input, *shape):
    """Same storage in a new shape; raises when the layout cannot be aliased (use reshape then)."""
    if len(shape) == 1 and (isinstance(shape[0], dtypes.dtype) or isinstance(shape[0], str)
                            and not shape[0].lstrip("-").isdigit()):
        target = dtypes.as_dtype(shape[0])
        if target is input._dtype:
            return view_op(_reshape_op, input, (tuple(input._data.shape),))
        if target.itemsize != input._dtype.itemsize:
            raise RuntimeError(f"view(dtype): {input._dtype} and {target} differ in element size; only views "
                               "between dtypes of the same size are supported")
        # the same bits read as another dtype: a view, not differentiable (as in torch)
        device = input._device
        data = kernel_for(_view_dtype_op, device)(input._data, target)
        return make_view(input, data, (_view_dtype_op, (target,), None, None, target))
    shape = _infer_shape(shape_from_args(shape, "view(): shape"), element_count(input._data))
    if not _can_view(input, shape):
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride (at least one dimension spans "
            f"across two contiguous subspaces); input shape {list(input.shape)}, stride {list(_strides(input))}, "
            f"requested {list(shape)}. Use .reshape(...) instead."
        )
    return view_op(_reshape_op, input, (shape,), tuple(input._data.shape))


_view_dtype_op = declare("view_dtype", signature="x, dtype: dtype", doc="the same bits read as another dtype of the same size")


def _diagonal_backward(node, grad):
    input_shape, params = node.params
    from ..factories import zeros
    from ..inplace import view_scatter
    step = (_diagonal_op, params, node.params, _diagonal_op.rule, None)
    return (view_scatter(zeros(input_shape, dtype=grad._dtype, device=grad._device), (step,), grad),)


_diagonal_op = declare("diagonal", _diagonal_backward, signature="x, offset: static, dim1: static, dim2: static")


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal ``offset`` of the planes ``dim1``, ``dim2`` as the last dimension (a view)."""
    ndim = input._data.ndim
    if ndim < 2:
        raise RuntimeError(f"diagonal(): expected a tensor with at least 2 dimensions, got {ndim}")
    first, second = wrap_dim(dim1, ndim), wrap_dim(dim2, ndim)
    if first == second:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    params = (int(offset), first, second)
    return view_op(_diagonal_op, input, params, (tuple(input._data.shape), params))


def is_contiguous(input, memory_format=None):
    """True when the elements are laid out row-major without gaps."""
    flags = getattr(input._data, "flags", None)
    if flags is not None:
        return bool(flags.c_contiguous)
    if has_root_layout(input):
        return True
    shape = tuple(input._data.shape)
    expected = contiguous_strides(shape)
    return all(extent <= 1 or a == b for extent, a, b in zip(shape, _strides(input), expected))


def stride(input, dim=None):
    """Element strides (or the stride of dimension ``dim``)."""
    result = _strides(input)
    return result if dim is None else result[wrap_dim(dim, len(result))]


def _copy_backward(node, grad):
    return (grad,)


_copy_op = declare("copy", _copy_backward, node_name="CloneBackward0", signature="x")


def clone(input, *, memory_format=None):
    """A copy with its own storage (differentiable)."""
    return apply(_copy_op, (input,))


def contiguous(input, memory_format=None):
    """``input`` itself when contiguous, else a contiguous copy."""
    if is_contiguous(input):
        return input
    return clone(input)


# ---- permute / transpose ---------------------------------------------------------------
def _permute_backward(node, grad):
    dims = node.params[0]
    inverse = [0] * len(dims)
    for position, dim in enumerate(dims):
        inverse[dim] = position
    return (grad.permute(tuple(inverse)),)


_permute_op = declare("permute", _permute_backward, signature="x, dims: static")


def permute(input, *dims):
    """Reorder dimensions (a view)."""
    dims = shape_from_args(dims, "permute(): dims")
    ndim = input._data.ndim
    if len(dims) != ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {ndim} is not equal "
                           f"to len(dims) = {len(dims)}")
    dims = tuple(wrap_dim(d, ndim) for d in dims)
    if len(set(dims)) != ndim:
        raise RuntimeError(f"permute(): duplicate dims are not allowed: {list(dims)}")
    return view_op(_permute_op, input, (dims,))


def transpose(input, dim0, dim1):
    """Swap two dimensions (a view)."""
    ndim = input._data.ndim
    if ndim == 0:
        return view_op(_permute_op, input, ((),))
    dim0, dim1 = wrap_dim(dim0, ndim), wrap_dim(dim1, ndim)
    order = list(range(ndim))
    order[dim0], order[dim1] = order[dim1], order[dim0]
    return view_op(_permute_op, input, (tuple(order),))


swapaxes = transpose


def t(input):
    """Transpose of a matrix (0-d and 1-d tensors are returned as they are)."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    return input if input._data.ndim < 2 else transpose(input, 0, 1)


def movedim(input, source, destination):
    """Move dimension(s) ``source`` to position(s) ``destination``."""
    ndim = input._data.ndim
    source = [wrap_dim(d, ndim) for d in (source if isinstance(source, (tuple, list)) else (source,))]
    destination = [wrap_dim(d, ndim) for d in
                   (destination if isinstance(destination, (tuple, list)) else (destination,))]
    order = [d for d in range(ndim) if d not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return permute(input, tuple(order))


# ---- expand ------------------------------------------------------------------------------
def _expand_backward(node, grad):
    return (sum_to(grad, node.params),)


_expand_op = declare("expand", _expand_backward, signature="x, shape: static")


def expand(input, *sizes):
    """Broadcast singleton dimensions to ``sizes`` without copying (-1 keeps a size)."""
    sizes = shape_from_args(sizes, "expand(): sizes")
    shape = tuple(input._data.shape)
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(): the number of sizes provided ({len(sizes)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    target = []
    for index, size in enumerate(sizes):
        current = shape[index - lead] if index >= lead else None
        if size == -1:
            if current is None:
                raise RuntimeError("expand(): -1 is not allowed in a leading, non-existing dimension")
            size = current
        elif current is not None and current != size and current != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({size}) must match the existing size ({current}) at "
                f"non-singleton dimension {index}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}")
        target.append(size)
    target = tuple(target)
    if target == shape:
        return view_op(_reshape_op, input, (shape,), shape)
    return view_op(_expand_op, input, (target,), shape)


def expand_to(input, shape):
    """``expand`` for a 0-d tensor or an already checked ``shape`` (derivative rules' fast path)."""
    if input._data.ndim:
        return expand(input, shape)
    return view_op(_expand_op, input, (shape,), ())


def expand_as(input, other):
    return expand(input, tuple(other._data.shape))


def broadcast_to(input, size):
    return expand(input, size)


# ---- squeeze / unsqueeze / flatten -------------------------------------------------------
def squeeze(input, dim=None):
    """Drop dimensions of size 1 (all of them, or those in ``dim``)."""
    shape = tuple(input._data.shape)
    if dim is None:
        new_shape = tuple(extent for extent in shape if extent != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = {wrap_dim(d, len(shape)) for d in dims} if shape else set()
        new_shape = tuple(extent for index, extent in enumerate(shape) if not (index in dims and extent == 1))
    return view_op(_reshape_op, input, (new_shape,), shape)


def unsqueeze(input, dim):
    """Insert a dimension of size 1 at ``dim``."""
    shape = list(input._data.shape)
    dim = wrap_dim(dim, len(shape) + 1)
    shape.insert(dim, 1)
    return reshape(input, tuple(shape))


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dimensions ``start_dim``..``end_dim`` into one."""
    shape = tuple(input._data.shape)
    if not shape:
        return reshape(input, (1,))
    start, end = wrap_dim(start_dim, len(shape)), wrap_dim(end_dim, len(shape))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    merged = 1
    for extent in shape[start:end + 1]:
        merged *= extent
    return reshape(input, shape[:start] + (merged,) + shape[end + 1:])


def unflatten(input, dim, sizes):
    """Split dimension ``dim`` into ``sizes``."""
    shape = tuple(input._data.shape)
    dim = wrap_dim(dim, len(shape))
    sizes = tuple(_infer_shape(tuple(sizes), shape[dim]))
    return reshape(input, shape[:dim] + sizes + shape[dim + 1:])


# ---- cat / stack / split ---------------------------------------------------------------
def _cat_backward(node, grad):
    dim, sizes = node.params
    grads = []
    offset = 0
    for size in sizes:
        grads.append(narrow(grad, dim, offset, size))
        offset += size
    return tuple(grads)


_cat_op = declare("cat", _cat_backward, signature="arrays: arrays, dim: static")


def cat(tensors, dim=0, *, axis=None):
    """Join tensors along an existing dimension ``dim``."""
    if axis is not None:
        dim = axis
    tensors = [t for t in tensors]
    if not tensors:
        raise RuntimeError("cat(): expected a non-empty list of Tensors")
    for position, tensor in enumerate(tensors):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"cat(): expected a sequence of Tensors, but element {position} is "
                            f"{type(tensor).__name__}")
    dtype = tensors[0]._dtype
    for tensor in tensors[1:]:
        if tensor._dtype is not dtype:
            dtype = promote_pair(_Stand(dtype), tensor)
    tensors = [cast(tensor, dtype) for tensor in tensors]
    reference = next((t for t in tensors if t._data.ndim), tensors[0])
    ndim = reference._data.ndim
    dim = wrap_dim(dim, ndim)
    tensors = [t for t in tensors if not (t._data.ndim == 1 and t._data.shape[0] == 0 and ndim > 1)] or tensors
    for position, tensor in enumerate(tensors):
        if tensor._data.ndim != ndim:
            raise RuntimeError(f"cat(): Tensors must have same number of dimensions: got {ndim} and "
                               f"{tensor._data.ndim}")
        for axis_index in range(ndim):
            if axis_index != dim and tensor._data.shape[axis_index] != reference._data.shape[axis_index]:
                raise RuntimeError(
                    f"cat(): Sizes of tensors must match except in dimension {dim}. Expected size "
                    f"{reference._data.shape[axis_index]} but got size {tensor._data.shape[axis_index]} for "
                    f"tensor number {position} in the list.")
    sizes = tuple(t._data.shape[dim] for t in tensors)
    return apply(_cat_op, tuple(tensors), (dim,), node_params=(dim, sizes))


concatenate = cat


class _Stand:
    """A stand-in with a dtype and ndim, for promotion over a list."""

    def __init__(self, dtype):
        self._dtype = dtype
        self._data = _NoData


class _NoData:
    ndim = 1


def stack(tensors, dim=0):
    """Join same-shaped tensors along a new dimension ``dim``."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tuple(tensors[0]._data.shape)
    for position, tensor in enumerate(tensors):
        if tuple(tensor._data.shape) != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                               f"and {list(tensor._data.shape)} at entry {position}")
    dim = wrap_dim(dim, len(shape) + 1)
    return cat([unsqueeze(tensor, dim) for tensor in tensors], dim)


def hstack(tensors):
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    return cat([t if t._data.ndim > 1 else t.reshape(1, -1) for t in tensors], 0)


def narrow(input, dim, start, length):
    """The slice ``start:start+length`` of dimension ``dim`` (a view)."""
    ndim = input._data.ndim
    dim = wrap_dim(dim, ndim)
    extent = input._data.shape[dim]
    if start < 0:
        start += extent
    if start < 0 or start + length > extent or length < 0:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({extent}).")
    key = (slice(None),) * dim + (slice(start, start + length),)
    return input[key]


def split(input, split_size_or_sections, dim=0):
    """Split into chunks of ``split_size`` (int) or of the given sizes (list) along ``dim``."""
    dim = wrap_dim(dim, input._data.ndim)
    extent = input._data.shape[dim]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0 and extent:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
        sizes = [min(size, extent - start) for start in range(0, extent, size)] if extent else [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != extent:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {extent} (input tensor's "
                               f"size at dimension {dim}), but got split_sizes={sizes}")
    pieces = []
    offset = 0
    for size in sizes:
        pieces.append(narrow(input, dim, offset, size))
        offset += size
    return _multi_output(tuple(pieces))


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` nearly equal pieces along ``dim``."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    extent = input._data.shape[wrap_dim(dim, input._data.ndim)]
    size = -(-extent // chunks) if extent else 1
    return split(input, max(size, 1), dim)


def unbind(input, dim=0):
    """The slices along ``dim``, each without that dimension."""
    dim = wrap_dim(dim, input._data.ndim)
    key = (slice(None),) * dim
    return _multi_output(tuple(input[key + (index,)] for index in range(input._data.shape[dim])))


# ---- flip / repeat -------------------------------------------------------------------------
def _flip_backward(node, grad):
    return (grad.flip(node.params[0]),)


_flip_op = declare("flip", _flip_backward, signature="x, dims: static")


def flip(input, *dims):
    """Reverse the order of elements along ``dims`` (a copy)."""
    dims = shape_from_args(dims, "flip(): dims")
    dims = tuple(wrap_dim(d, input._data.ndim) for d in dims)
    return apply(_flip_op, (input,), (dims,))


def repeat(input, *repeats):
    """Tile the tensor ``repeats[i]`` times along each dimension."""
    repeats = shape_from_args(repeats, "repeat(): repeats")
    shape = tuple(input._data.shape)
    if len(repeats) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")
    shape = (1,) * (len(repeats) - len(shape)) + shape
    expanded_shape = []
    interleaved = []
    for count, extent in zip(repeats, shape):
        interleaved += [1, extent]
        expanded_shape += [count, extent]
    result = reshape(input, tuple(interleaved)).expand(tuple(expanded_shape))
    return reshape(contiguous(result), tuple(c * e for c, e in zip(repeats, shape)))
