"""The Tensor: a backend array, its dtype and device, and its autograd links.

Op methods (``+``, ``sum``, ``view``...) are declared in ``plexgrad.core.ops`` and
bound onto the class by ``plexgrad.core.tensor_methods``.
"""

__all__ = ["Tensor", "make_tensor"]

import weakref

from . import dtypes
from .autograd import api as _autograd_api
from .autograd.grad_mode import state as grad_state
from .autograd.grad_fn import view_of
from .dispatch import backend_for_type
from .shapes import element_count, wrap_dim
from .size import Size
from .storage import version_of

STALE_VIEW_RULE = None  # set by view_replay.py: the rule of a view made in no_grad whose base was written with grad


class Tensor:
    """A multi-dimensional array on a device, with autograd.

    Create tensors with ``plexgrad.tensor``, ``zeros``, ``randn``...; the legacy
    ``Tensor(2, 3)`` (uninitialised float32) and ``Tensor([1, 2])`` also work.
    """

    # _counter: the storage's shared VersionCounter (None until aliased or written: version 0);
    # _base: the tensor whose array holds the whole storage (None for that tensor itself);
    # _view: how this tensor derives from _base and from its autograd base (views.ViewMeta), or None
    __slots__ = ("_data", "_dtype", "_device", "_requires_grad", "_grad_fn", "_grad",
                 "_counter", "_base", "_view", "_extra", "__weakref__")

    # numpy scalars and arrays defer to the tensor's reflected operators (np.float64(1.5) + t is a tensor)
    __array_priority__ = 1000

    def __init__(self, *args, device=None, dtype=None):
        from .factories import legacy_construct
        other = legacy_construct(args, dtype or dtypes.get_default_dtype(), device)
        _adopt(self, other)

    # ---- construction helpers (internal) -------------------------------------------
    @staticmethod
    def _from_node(data, dtype, device, node):
        tensor = make_tensor(data, dtype, device)
        tensor._requires_grad = True
        tensor._grad_fn = node
        return tensor

    def _extras(self):
        extra = self._extra
        if extra is None:
            extra = self._extra = {}
        return extra

    def _version_counter(self):
        return version_of(self)

    def _backend(self):
        return backend_for_type(self._device.type)

    # ---- metadata --------------------------------------------------------------------
    @property
    def shape(self):
        """The tensor's shape as a ``plexgrad.Size``."""
        return Size(self._data.shape)

    def size(self, dim=None):
        """The shape, or the extent of dimension ``dim``."""
        shape = self._data.shape
        if dim is None:
            return Size(shape)
        return shape[wrap_dim(dim, len(shape))]

    @property
    def dtype(self):
        return self._dtype

    @property
    def device(self):
        return self._device

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        """The number of dimensions."""
        return self._data.ndim

    ndimension = dim

    def numel(self):
        """The number of elements."""
        return element_count(self._data)

    nelement = numel

    def element_size(self):
        return self._dtype.itemsize

    def is_floating_point(self):
        return self._dtype.category == dtypes.FLOATING

    def is_complex(self):
        return False

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    @property
    def is_cpu(self):
        return self._device.type == "cpu"

    # plexgrad has no XPU, MPS, meta, sparse or quantized tensors: torch's probes answer False
    @property
    def is_xpu(self):
        return False

    @property
    def is_mps(self):
        return False

    @property
    def is_meta(self):
        return False

    @property
    def is_sparse(self):
        return False

    @property
    def is_quantized(self):
        return False

    def get_device(self):
        return -1 if self._device.type == "cpu" else self._device.index

    def type(self, dtype=None):
        """With no argument, the legacy type name (``'plexgrad.FloatTensor'``); else ``.to(dtype)``."""
        if dtype is None:
            from .legacy import type_name
            return type_name(self)
        from .legacy import dtype_from_type_name
        return self.to(dtype_from_type_name(dtype))

    # ---- autograd --------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        """Set whether autograd records operations on this (leaf) tensor; returns self."""
        requires_grad = bool(requires_grad)
        if self._grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use a "
                    "computed variable in a subgraph that doesn't require differentiation use "
                    "var_no_grad = var.detach()."
                )
            return self
        if requires_grad and self._dtype.category != dtypes.FLOATING:
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, got {self._dtype}; "
                "convert first, e.g. tensor.float().requires_grad_()"
            )
        self._requires_grad = requires_grad
        return self

    @property
    def grad(self):
        """The gradient accumulated by ``backward`` (None until then)."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: {list(value.shape)} vs the tensor's {list(self.shape)}"
                )
            if value._device is not self._device:
                raise RuntimeError(f"assigned grad is on {value.device} but the tensor is on {self.device}")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def grad_fn(self):
        """The node that created this tensor (None for leaves)."""
        function = self._grad_fn
        if function is None:
            return None
        if function.rule is STALE_VIEW_RULE:
            function.rule.backward(function, None)  # raises torch's error for this view
        return view_of(function)  # an object whose class has torch's node name

    @property
    def is_leaf(self):
        """True for tensors not created by a recorded operation."""
        return self._grad_fn is None

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``gradient`` is required when self is not a scalar (the vector in the
        vector-Jacobian product).
        """
        if gradient is None and retain_graph is None and inputs is None and create_graph is False:
            _autograd_api.backward_scalar(self)
        else:
            _autograd_api.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self):
        """A tensor sharing this one's storage and version counter, cut from the graph."""
        from .views import alias
        return alias(self)

    def detach_(self):
        """Cut this tensor from the graph in place; returns self."""
        self._grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self._grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        extra = self._extras()
        if extra.get("retains_grad"):
            return
        extra["retains_grad"] = True
        reference = weakref.ref(self)

        def store(grad):
            tensor = reference()
            if tensor is not None:
                if tensor._grad is None:
                    tensor._grad = grad.detach().clone() if not grad_state.enabled else grad
                else:
                    tensor._grad = tensor._grad + grad
        self._grad_fn.register_prehook(store)

    @property
    def retains_grad(self):
        return bool(self._extra and self._extra.get("retains_grad"))

    def register_hook(self, hook):
        """Call ``hook(grad)`` when the gradient for this tensor is computed; it may return a replacement."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            return self._grad_fn.register_prehook(hook)
        from .autograd.node import _RemovableHandle
        hooks = self._extras().setdefault("hooks", [])
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` each time backward has accumulated this leaf's ``.grad`` (its
        gradient for that backward is then final); returns a handle whose ``remove()`` undoes it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        from .autograd.node import _RemovableHandle
        hooks = self._extras().setdefault("post_accumulate_hooks", [])
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    @property
    def data(self):
        """The tensor's data without autograd history (shares storage).

        Unlike ``detach()``, it has a fresh version counter: in-place changes through
        ``.data`` are hidden from autograd's version check, as in torch."""
        from .views import alias
        return alias(self, fresh_counter=True)

    @data.setter
    def data(self, value):
        """``x.data = other``: ``x`` keeps its identity and autograd flags and shares ``other``'s storage."""
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        from .views import rebind
        rebind(self, value)

    # ---- conversion ------------------------------------------------------------------
    def item(self):
        """The value of a one-element tensor as a Python number."""
        if element_count(self._data) != 1:
            raise RuntimeError(
                f"a Tensor with {self.numel()} elements cannot be converted to Scalar; "
                "use .tolist() for a Python list, or index a single element first"
            )
        return self._backend().to_host(self._data).reshape(()).item()

    def tolist(self):
        """The data as (nested) Python lists of numbers."""
        return self._backend().to_host(self._data).tolist()

    def numpy(self, force=False):
        """The data as a numpy array; on ``cpu`` it shares memory with the tensor."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        backend = self._backend()
        if backend.mutable and self._device.type == "cpu":
            owned = backend.owned(self._data)
            if owned is not self._data:
                from .views import replace_storage
                replace_storage(self, owned)
            return owned
        host = backend.to_host(self._data)
        host.flags.writeable = False
        return host

    def __array__(self, dtype=None, copy=None):
        host = self._backend().to_host(self._data)
        return host if dtype is None else host.astype(dtype, copy=False)

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        # the array API's keywords, passed on only when given (older array libraries lack some)
        options = {name: value for name, value in (("stream", stream), ("max_version", max_version),
                                                   ("dl_device", dl_device), ("copy", copy)) if value is not None}
        return self._data.__dlpack__(**options)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __len__(self):
        shape = self._data.shape
        if not shape:
            raise TypeError("len() of a 0-d tensor")
        return shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[index] for index in range(self._data.shape[0]))

    def __bool__(self):
        if element_count(self._data) != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self.numel()} values is ambiguous; use .any() or .all()"
            )
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._dtype.category != dtypes.INTEGER or element_count(self._data) != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    __hash__ = object.__hash__  # identity, as torch; C-level, so dicts keyed by tensors stay cheap

    def __repr__(self):
        from .printing import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec):
        """As torch: a 0-d tensor formats as its number (``f"{loss:.3f}"``, ``f"{loss}"``); others
        only with an empty spec (their repr)."""
        if self._data.ndim == 0:
            return format(self.item(), spec)
        if spec:
            raise TypeError(f"unsupported format string {spec!r} passed to Tensor.__format__: only 0-d tensors "
                            f"format as numbers (this one has shape {list(self._data.shape)}); use .item() on "
                            "one element, or .tolist()")
        return repr(self)

    def __reduce_ex__(self, protocol):
        from .factories import rebuild_tensor
        host = self._backend().to_host(self._data).copy()
        return (rebuild_tensor, (host, self._dtype.name, str(self._device), self._requires_grad))

    def __deepcopy__(self, memo):
        result = self.detach().clone()
        if self._requires_grad:
            result.requires_grad_(True)
        if self._grad is not None:
            result._grad = self._grad.detach().clone()
        memo[id(self)] = result
        return result

    def __setstate__(self, state):  # pickled tensors rebuild through rebuild_tensor
        raise TypeError("Tensor state is restored by rebuild_tensor")


_new = object.__new__


def make_tensor(data, dtype, device):
    """Wrap a native array (internal: no checks)."""
    tensor = _new(Tensor)
    tensor._data = data
    tensor._dtype = dtype
    tensor._device = device
    tensor._requires_grad = False
    tensor._grad_fn = None
    tensor._grad = None
    tensor._counter = None
    tensor._base = None
    tensor._view = None
    tensor._extra = None
    return tensor


def _adopt(target, source):
    for name in Tensor.__slots__[:-1]:
        setattr(target, name, getattr(source, name))


