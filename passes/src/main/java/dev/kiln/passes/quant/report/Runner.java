package dev.kiln.passes.quant.report;

import dev.kiln.passes.Program;
import dev.kiln.runtime.interp.Interpreter;
import java.util.List;
import java.util.function.Function;

/**
 * How the accuracy-budget search runs the quantized variants it measures: the reference interpreter by default, or a
 * compiling backend given by the caller (the passes module does not depend on the backends). The reference
 * interpreter's int8 convolutions are plain loops (resnet18: about 9 s a sample against 0.25 s on the JVM backend,
 * whose int8 kernels give the same bits), so a search over a large model wants a backend.
 */
@FunctionalInterface
public interface Runner {
  /**
   * Prepares {@code p} (the runner may rewrite a copy, never {@code p} itself) and returns a function from the inputs
   * to the results, in order.
   */
  Function<List<Object>, List<Object>> load(Program p);

  /** The reference interpreter on the program as it is. */
  Runner INTERPRETER = p -> new Interpreter(p.graph(), p.weights())::run;
}
