package dev.kiln.runtime.interp;

import java.util.List;

/**
 * The reference implementation of one op: reads its operand values and attributes from {@link KernelArgs} and
 * returns one value per result of the node (in order). Kernels are stateless and never write into their inputs.
 */
@FunctionalInterface
public interface Kernel {
  List<Object> run(KernelArgs args);

  /** Adapts a single-result function; its result may be null (none). */
  static Kernel single(java.util.function.Function<KernelArgs, Object> f) {
    return a -> java.util.Collections.singletonList(f.apply(a));
  }
}
