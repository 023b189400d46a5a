package dev.kiln.frontend.trace;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How {@link Tracer#trace} records: strict mode, symbolic dims of inputs, input and graph names. Immutable; each
 * {@code with...} returns a changed copy.
 *
 * @param strict when true the first guard is an error ({@link TraceException} naming file:line)
 * @param symbolicDims by input index, dim index to symbol name (e.g. input 0, dim 0 -> {@code N})
 * @param inputNames graph parameter names; empty means {@code x} for one input, {@code x0, x1 ...} otherwise
 * @param graphName the graph's name, {@code forward} by default
 */
public record TraceOptions(boolean strict, Map<Integer, Map<Integer, String>> symbolicDims, List<String> inputNames,
    String graphName) {
  public TraceOptions {
    Map<Integer, Map<Integer, String>> copy = new HashMap<>();
    symbolicDims.forEach((k, v) -> copy.put(k, Map.copyOf(v)));
    symbolicDims = Map.copyOf(copy);
    inputNames = List.copyOf(inputNames);
  }

  /** Not strict, every dim static, default names. */
  public static TraceOptions defaults() { return new TraceOptions(false, Map.of(), List.of(), "forward"); }

  public TraceOptions withStrict(boolean s) { return new TraceOptions(s, symbolicDims, inputNames, graphName); }

  /** Keeps dim {@code dim} of input {@code input} symbolic under {@code symbol} (a name such as {@code N}). */
  public TraceOptions withSymbolicDim(int input, int dim, String symbol) {
    if (symbol == null || !symbol.matches("[A-Za-z_][A-Za-z0-9_]*")) throw new IllegalArgumentException("bad symbol name: " + symbol);
    Map<Integer, Map<Integer, String>> m = new HashMap<>(symbolicDims);
    Map<Integer, String> dims = new HashMap<>(m.getOrDefault(input, Map.of()));
    dims.put(dim, symbol);
    m.put(input, dims);
    return new TraceOptions(strict, m, inputNames, graphName);
  }

  public TraceOptions withInputNames(String... names) { return new TraceOptions(strict, symbolicDims, new ArrayList<>(List.of(names)), graphName); }

  public TraceOptions withGraphName(String name) { return new TraceOptions(strict, symbolicDims, inputNames, name); }

  /** The symbol for dim {@code dim} of input {@code input}, or null when it is static. */
  String symbol(int input, int dim) { return symbolicDims.getOrDefault(input, Map.of()).get(dim); }
}
