package dev.kiln.frontend.torchscript;

import java.util.List;
import java.util.Map;

/**
 * How one TorchScript builtin ({@code torch.conv2d}, {@code ops.prim.NumToTensor}, {@code torch.len} ...) becomes
 * Graph IR. Arguments arrive as lowering-time values (see {@link LoweringContext}): IR {@code Value}s for tensors
 * and run-time scalars, Java {@code Long}/{@code Double}/{@code Boolean}/{@code String}/{@code null} for values
 * known while lowering, {@code List<Object>} for lists and {@code PyTuple} for tuples.
 */
@FunctionalInterface
public interface OpLowering {
  /**
   * @param args positional arguments, never null (elements may be null for None)
   * @param kwargs keyword arguments ({@code dtype=}, {@code use_dynamic=} ...), never null
   * @return the result as a lowering-time value: a Value, a known constant, a list or a PyTuple of them
   */
  Object lower(LoweringContext cx, List<Object> args, Map<String, Object> kwargs);
}
