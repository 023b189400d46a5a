package dev.kiln.frontend.trace;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A model or layer written in Java, in the spirit of {@code torch.nn.Module}: it registers parameters, buffers and
 * child modules by name in its constructor, and computes in {@link #forward(T)} (one input) or
 * {@link #forwardAll(List)} (several inputs or outputs). State-dict keys are the dotted paths PyTorch uses:
 * own parameters and buffers first, then each child's under {@code child.}.
 *
 * <p>New float parameters start uniform in {@code [-1/sqrt(fan_in), 1/sqrt(fan_in)]} from a per-thread generator
 * ({@link #manualSeed}); load a state dict to replace them.
 */
public abstract class Module {
  private static final ThreadLocal<Random> RANDOM = ThreadLocal.withInitial(() -> new Random(0));

  private final Map<String, Parameter> params = new LinkedHashMap<>();
  private final Map<String, Module> children = new LinkedHashMap<>();

  /** Reseeds this thread's generator for new parameters, as {@code torch.manual_seed} (values differ from torch's). */
  public static void manualSeed(long seed) { RANDOM.get().setSeed(seed); }

  /** Computes the output for one input. The default says the module needs {@link #forwardAll}. */
  public T forward(T x) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " does not take a single input; call forwardAll");
  }

  /** Computes outputs for inputs; the default calls {@link #forward(T)} on exactly one input. */
  public List<T> forwardAll(List<T> inputs) {
    if (inputs.size() != 1)
      throw new IllegalArgumentException(getClass().getSimpleName() + " takes 1 input, got " + inputs.size());
    return List.of(forward(inputs.get(0)));
  }

  // ---- registration, for constructors of subclasses

  /** Registers a learnable f32 parameter of {@code shape}, initialised uniform by fan-in (shape[1:] product). */
  protected final Parameter param(String name, long... shape) {
    long fanIn = 1;
    for (int i = 1; i < shape.length; i++) fanIn *= shape[i];
    return param(name, uniform(shape, 1 / Math.sqrt(Math.max(fanIn, 1))));
  }

  /** Registers a parameter or buffer with the given initial value. */
  protected final Parameter param(String name, Tensor init) {
    checkName(name);
    Parameter p = new Parameter(init);
    params.put(name, p);
    return p;
  }

  /** Registers an f32 parameter or buffer filled with {@code value}. */
  protected final Parameter filled(String name, double value, long... shape) {
    float[] f = new float[Math.toIntExact(Tensor.numel(shape))];
    java.util.Arrays.fill(f, (float) value);
    return param(name, Tensor.wrapFloats(f, shape));
  }

  /** Registers a child; its parameters appear under {@code name.}. Returns it for field initialisation. */
  protected final <M extends Module> M child(String name, M module) {
    checkName(name);
    children.put(name, module);
    return module;
  }

  private void checkName(String name) {
    if (name == null || name.isEmpty() || name.contains(".")) throw new IllegalArgumentException("bad name '" + name + "': non-empty, no dots");
    if (params.containsKey(name) || children.containsKey(name))
      throw new IllegalArgumentException(getClass().getSimpleName() + " already has '" + name + "'");
  }

  protected static Tensor uniform(long[] shape, double bound) {
    Random r = RANDOM.get();
    float[] f = new float[Math.toIntExact(Tensor.numel(shape))];
    for (int i = 0; i < f.length; i++) f[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
    return Tensor.wrapFloats(f, shape);
  }

  protected static Tensor zerosOf(DType dtype, long... shape) { return Tensor.zeros(dtype, shape); }

  // ---- the tree

  /** Direct children by name, in registration order (read-only). */
  public Map<String, Module> children() { return java.util.Collections.unmodifiableMap(children); }

  /** Every parameter and buffer of this module and its descendants by dotted path, in PyTorch's state-dict order. */
  public Map<String, Parameter> namedParameters() {
    Map<String, Parameter> out = new LinkedHashMap<>();
    collect("", out);
    return out;
  }

  private void collect(String prefix, Map<String, Parameter> out) {
    params.forEach((n, p) -> out.put(prefix + n, p));
    children.forEach((n, m) -> m.collect(prefix + n + ".", out));
  }

  /** The current values by dotted path (the tensors themselves, not copies). */
  public Map<String, Tensor> stateDict() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    namedParameters().forEach((n, p) -> out.put(n, p.value()));
    return out;
  }

  /**
   * Replaces every parameter's value from {@code state}, keyed as {@link #namedParameters}. All problems are
   * collected before anything changes, so a failed load leaves the module as it was.
   *
   * @param source where the state came from (a file name), used in the message
   * @throws IllegalArgumentException listing each missing key, unexpected key, mis-shaped or mis-typed tensor, with
   *     {@code source}
   */
  public void loadStateDict(Map<String, Tensor> state, String source) {
    Map<String, Parameter> mine = namedParameters();
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, Parameter> e : mine.entrySet()) {
      Tensor t = state.get(e.getKey());
      if (t == null) problems.add("missing " + e.getKey() + " (" + e.getValue().dtype() + Tensor.dims(e.getValue().shape()) + ")");
      else if (e.getValue().mismatch(t) != null)
        problems.add((java.util.Arrays.equals(t.shape(), e.getValue().shape()) ? "wrong dtype for " : "mis-shaped ")
            + e.getKey() + ": " + e.getValue().mismatch(t));
    }
    for (String k : state.keySet()) if (!mine.containsKey(k)) problems.add("unexpected " + k);
    if (!problems.isEmpty())
      throw new IllegalArgumentException(source + ": state dict does not fit " + getClass().getSimpleName() + ": "
          + String.join("; ", problems));
    mine.forEach((n, p) -> p.set(state.get(n)));
  }
}
