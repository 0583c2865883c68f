// Buffers for keys and values are written in full before use; skipping their zeroing keeps the
// typed operations cheap.
[module: System.Runtime.CompilerServices.SkipLocalsInit]
