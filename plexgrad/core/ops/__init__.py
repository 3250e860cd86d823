"""Every primitive op, declared once (name, dtype rule, derivative in Tensor ops),
and the composites built from them."""
