"""The kit's checks of behaviour beyond single ops: dtypes the backend holds, transfers to and
from ``cpu``, in-place writes through views (with and without autograd), determinism under
``manual_seed``, bad inputs and dtype promotion.

Each check takes the device under test and raises ``Mismatch`` saying what differed.
"""

__all__ = ["ALL_DTYPE_NAMES", "supported_dtypes", "check_dtype", "check_transfers", "check_determinism", "check_move",
           "VIEW_WRITES", "check_view_write", "check_bad_input", "check_promotion"]

import re

import numpy

from .. import core  # noqa: F401  (binds the Tensor methods)
from ..core import dispatch, dtypes, factories
from ..core.device import device as Device
from ..core.random import manual_seed
from .bad_inputs import reference_error_type
from .compare import Mismatch, expect

ALL_DTYPE_NAMES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64")


def supported_dtypes(device):
    """``{dtype name: True or the reason it is not supported}`` for the backend of ``device``:
    a backend declares a dtype by mapping it in ``native_dtype`` (raising TypeError otherwise)."""
    backend = dispatch.backend_for_type(Device(device).type)
    found = {}
    for name in ALL_DTYPE_NAMES:
        try:
            backend.native_dtype(dtypes.as_dtype(name))
            found[name] = True
        except (TypeError, KeyError, ValueError) as error:
            found[name] = f"{type(error).__name__}: {error}"
    return found


_SAMPLES = {"bool": [[True, False, True], [False, False, True]], "uint8": [[0, 7, 255], [3, 1, 2]],
            "int8": [[-128, 7, 127], [3, -1, 0]], "int16": [[-300, 7, 32767], [3, -1, 0]],
            "int32": [[-2 ** 31, 7, 2 ** 31 - 1], [3, -1, 0]], "int64": [[-2 ** 62, 7, 2 ** 62], [3, -1, 0]],
            "float16": [[0.5, -2.0, 65504.0], [0.0, 1.5, -0.25]], "bfloat16": [[0.5, -2.0, 256.0], [0.0, 1.5, -0.25]],
            "float32": [[0.1, -2.5, 3e38], [0.0, 1.5, -0.25]], "float64": [[0.1, -2.5, 1e300], [0.0, 1.5, -1e-300]]}


def check_dtype(name, device):
    """A declared dtype round-trips exactly (host -> device -> host), and the basic ops keep it:
    factories, ``to`` and back, ``+``, ``==``, ``sum`` and ``where``."""
    dtype = dtypes.as_dtype(name)
    host = numpy.array(_SAMPLES[name], dtype=numpy.float32 if name == "bfloat16" else name)
    tensor = factories.tensor(_SAMPLES[name], dtype=dtype, device=device)
    expect(tensor.dtype is dtype and tensor.device.type == Device(device).type,
           f"tensor(dtype={name}) on {device} gave {tensor.dtype} on {tensor.device}")
    back = tensor.cpu()
    expect(back.dtype is dtype, f"{name} tensor moved to cpu has dtype {back.dtype}")
    expect(numpy.array_equal(back.float().numpy(), host.astype(numpy.float32)) if name in ("float16", "bfloat16")
           else numpy.array_equal(back.numpy(), host),
           f"{name} values changed in the round trip host -> {device} -> host: {back.tolist()} != {host.tolist()}")
    for factory, value in ((factories.zeros, 0), (factories.ones, 1)):
        made = factory(2, 3, dtype=dtype, device=device)
        expect(made.dtype is dtype and bool((made.cpu().double().numpy() == value).all()),
               f"{factory.__name__}(2, 3, dtype={name}) on {device}: got {made.dtype} {made.cpu().tolist()}")
    wide = tensor.to(dtypes.float64).to(dtype)
    expect(wide.dtype is dtype and numpy.array_equal(wide.cpu().double().numpy(), back.double().numpy()),
           f"{name} -> float64 -> {name} on {device} changed the values: {wide.cpu().tolist()}")
    equal = tensor == tensor
    expect(equal.dtype is dtypes.bool and bool(equal.all()), f"{name} == itself on {device} is not all True")
    if name != "bool":
        doubled = tensor + tensor
        expect(doubled.dtype is dtype, f"{name} + {name} on {device} has dtype {doubled.dtype}")
    total = tensor.sum()
    wanted = dtype if dtype.is_floating_point else dtypes.int64
    expect(total.dtype is wanted, f"sum of {name} on {device} has dtype {total.dtype}, torch gives {wanted}")
    chosen = factories.tensor([[True, False, True], [True, True, False]], device=device)
    from ..core.ops.elementwise import where
    picked = where(chosen, tensor, tensor)
    expect(picked.dtype is dtype, f"where on {name} on {device} has dtype {picked.dtype}")


def check_transfers(device):
    """``.to('cpu')`` and ``.to(device)`` copy (writing one side never changes the other) and keep
    values, dtype and ``requires_grad`` semantics; gradients flow back across a transfer."""
    target = Device(device)
    # whether a library keeps the host memory it is given can depend on the buffer's alignment: try sizes
    for size in (2, 16, 1000, 100000):
        array = numpy.ones(size)
        made = factories.tensor(array, device=device)
        array *= 10
        expect(made.cpu()[0].item() == 1.0, f"tensor(a numpy array of {size}, device={device!r}) shares the "
                                             "array's memory: writing the array changed the tensor (it must copy)")
        host = factories.ones(size, dtype=dtypes.float64)
        moved = host.to(device)
        host.mul_(10)
        expect(target.type == "cpu" or moved.cpu()[0].item() == 1.0,
               f"cpu -> {device} of {size} elements aliases: writing the cpu source changed the copy")
    source = factories.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device=device)
    if target.type == "cpu":
        expect(source.to("cpu") is source, "cpu tensor .to('cpu') must return the tensor itself (as in torch)")
        return
    on_cpu = source.to("cpu")
    expect(on_cpu.device.type == "cpu" and on_cpu.tolist() == source.tolist(),
           f"{device} -> cpu gave {on_cpu.tolist()} on {on_cpu.device}")
    on_cpu.add_(100)
    expect(source.cpu().tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
           f"writing the cpu copy changed the {device} tensor: it now holds {source.cpu().tolist()}")
    numpy_array = source.cpu().numpy()
    numpy_array[0, 0] = -1
    expect(source.cpu()[0, 0].item() == 1.0, f"writing .cpu().numpy() changed the {device} tensor")
    host = factories.tensor([1.0, 2.0], device="cpu")
    moved = host.to(device)
    expect(moved.device.type == target.type, f"cpu -> {device} gave a tensor on {moved.device}")
    host.mul_(10)
    expect(moved.cpu().tolist() == [1.0, 2.0], f"writing the cpu source changed the {device} copy: "
                                                 f"{moved.cpu().tolist()}")
    leaf = factories.tensor([1.0, 2.0], device="cpu", requires_grad=True)
    (leaf.to(device) * 3).sum().backward()
    expect(leaf.grad is not None and leaf.grad.device.type == "cpu" and leaf.grad.tolist() == [3.0, 3.0],
           f"gradient across a cpu -> {device} transfer: got {None if leaf.grad is None else leaf.grad.tolist()}")


def _draws(device):
    from .. import nn  # noqa: F401  (dropout)
    from ..nn import functional, init
    return {
        "rand": lambda: factories.rand(3, 4, device=device),
        "randn": lambda: factories.randn(5, device=device, dtype=dtypes.float64),
        "randint": lambda: factories.randint(0, 10, (6,), device=device),
        "randperm": lambda: factories.randperm(7, device=device),
        "dropout": lambda: functional.dropout(factories.ones(8, device=device), 0.5, training=True),
        "nn.init.normal_": lambda: init.normal_(factories.empty(4, device=device)),
        "nn.init.uniform_": lambda: init.uniform_(factories.empty(4, device=device), -1, 1),
    }


def check_determinism(device):
    """The same ``manual_seed`` gives the same random draws; another seed gives other ones."""
    for name, draw in _draws(device).items():
        manual_seed(1234)
        first = draw().cpu().numpy()
        manual_seed(1234)
        second = draw().cpu().numpy()
        expect(numpy.array_equal(first, second), f"{name} on {device}: manual_seed(1234) twice gave different "
                                                 f"draws: {first.tolist()} and {second.tolist()}")
        manual_seed(99)
        other = draw().cpu().numpy()
        if name != "dropout":  # eight coin flips may repeat
            expect(not numpy.array_equal(first, other), f"{name} on {device}: seeds 1234 and 99 gave the "
                                                        f"same draws {first.tolist()}")


def _write_slice(x):
    x[1:, ::2].add_(10)


def _write_transposed(x):
    x.t()[0].mul_(-1)


def _write_view(x):
    x.view(-1)[2:4].fill_(7)


def _write_setitem(x):
    x[:, 1] = x[:, 0] + 2


def _write_scaled(x):
    x[0].add_(x[1].clone(), alpha=-2)


def _write_divided(x):
    x[:, 1:].div_(x[:, :2] + 1)


def _write_chain(x):
    x.unsqueeze(0)[0, 1].sub_(1)


def _write_diagonal(x):
    x[:, :2].diagonal().zero_()


def _write_expanded_source(x):
    x.copy_(x[:1].expand(2, 3))


VIEW_WRITES = [
    ("slice add_", _write_slice, lambda a: (a.__setitem__((slice(1, None), slice(None, None, 2)),
                                                           a[1:, ::2] + 10), a)[1]),
    ("transposed row mul_", _write_transposed, lambda a: (a.__setitem__((slice(None), 0), -a[:, 0]), a)[1]),
    ("flat view fill_", _write_view, lambda a: (a.reshape(-1).__setitem__(slice(2, 4), 7), a)[1]),
    ("setitem from a view", _write_setitem, lambda a: (a.__setitem__((slice(None), 1), a[:, 0] + 2), a)[1]),
    ("add_ with alpha into a row", _write_scaled, lambda a: (a.__setitem__(0, a[0] - 2 * a[1]), a)[1]),
    ("div_ of a column block", _write_divided, lambda a: (a.__setitem__((slice(None), slice(1, None)),
                                                                       a[:, 1:] / (a[:, :2] + 1)), a)[1]),
    ("chained views sub_", _write_chain, lambda a: (a.__setitem__(1, a[1] - 1), a)[1]),
    ("diagonal zero_", _write_diagonal, lambda a: (a.__setitem__((0, 0), 0), a.__setitem__((1, 1), 0), a)[2]),
    ("copy_ from an expanded view", _write_expanded_source, lambda a: numpy.broadcast_to(a[:1], a.shape).copy()),
]


def check_view_write(name, write, reference, device):
    """A write through a view changes the base (and every other view of it) as on numpy; under
    autograd the gradient flows through the write as torch computes it."""
    start = numpy.arange(6, dtype=numpy.float64).reshape(2, 3) + 1
    base = factories.tensor(start, device=device)
    other_view = base[1]
    write(base)
    expected = reference(start.copy())
    found = base.cpu().numpy()
    expect(numpy.array_equal(found, expected), f"{name} on {device}: the base holds {found.tolist()}, "
                                               f"expected {expected.tolist()}")
    expect(numpy.array_equal(other_view.cpu().numpy(), expected[1]),
           f"{name} on {device}: another view of the base sees {other_view.cpu().tolist()}, "
           f"expected {expected[1].tolist()}")
    _check_view_write_gradient(name, write, start, device)


def _check_view_write_gradient(name, write, start, device):
    try:
        import torch
    except ImportError:
        return
    results = []
    for lib, where in ((torch, "cpu"), (None, device)):
        if lib is None:
            leaf = factories.tensor(start, device=where, requires_grad=True)
        else:
            leaf = torch.tensor(start, requires_grad=True)
        values = leaf * 1.5
        write(values)
        (values * values).sum().backward()
        results.append(leaf.grad.cpu().numpy() if lib is None else leaf.grad.numpy())
    expect(numpy.allclose(results[1], results[0]), f"{name} on {device} under autograd: gradient "
                                                   f"{results[1].tolist()}, torch gives {results[0].tolist()}")


def check_move(device):
    """The placement op ``move`` (a copy to another device of the same backend) copies values and
    dtype; called through the seam, to the device's own index, so one device is enough."""
    from ..core.ops.creation import move_op
    target = Device(device)
    source = factories.tensor([[1.5, -2.0], [3.0, 4.0]], device=device)
    moved = dispatch.call(move_op, target, source._data, target)
    backend = dispatch.backend_for_type(target.type)
    expect(backend.dtype_of(moved) is source.dtype, f"move on {device} changed the dtype to {backend.dtype_of(moved)}")
    values = numpy.asarray(backend.to_host(moved))
    expect(numpy.array_equal(values, [[1.5, -2.0], [3.0, 4.0]]), f"move on {device} gave {values.tolist()}")


def check_bad_input(name, build, declared, pattern, device):
    """``build`` raises the reference's exception type, with a message matching ``pattern``."""
    import plexgrad
    wanted = reference_error_type(build, declared)
    expect(isinstance(wanted, type), f"{name}: the kit's reference is wrong: {wanted}")
    try:
        build(plexgrad, device)
    except wanted as error:
        expect(re.search(pattern, str(error), re.IGNORECASE) is not None,
               f"{name} on {device}: raised {type(error).__name__} as torch does, but the message "
               f"{str(error)!r} does not say {pattern!r}")
        return
    except Exception as error:
        raise Mismatch(f"{name} on {device}: raised {type(error).__name__}: {error}; torch raises "
                       f"{wanted.__name__}") from None
    raise Mismatch(f"{name} on {device}: raised nothing; torch raises {wanted.__name__}")


def check_promotion(name, build, expected, device):
    """The result dtype of mixed operands is torch's (checked against torch too when installed)."""
    import plexgrad
    try:
        import torch
        torch_dtype = str(build(torch, "cpu").dtype).replace("torch.", "")
        expect(torch_dtype == expected, f"{name}: the kit expects {expected}, torch gives {torch_dtype}")
    except ImportError:
        pass
    found = build(plexgrad, device)
    expect(found.dtype.name == expected, f"{name} on {device}: result dtype {found.dtype}, torch gives {expected}")
    expect(found.device.type == Device(device).type, f"{name} on {device}: result on {found.device}")
