package dev.kiln.runtime.exec;

import dev.kiln.ir.TensorType;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.artifact.Artifact;
import dev.kiln.runtime.artifact.ArtifactReader;
import dev.kiln.runtime.artifact.Manifest;
import dev.kiln.runtime.artifact.Manifest.Port;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A compiled model loaded from a {@code .kiln} artifact: the embedding API.
 *
 * <pre>{@code
 * KilnModel model = KilnModel.load(Path.of("mlp.kiln"));        // once, at start-up
 * Tensor x = Tensor.fromFloats(rows, batch, 4);
 * Tensor probs = model.run(Map.of("x", x)).get("probs");         // from any thread
 * }</pre>
 *
 * <p>Thread-safe: any number of threads may call {@code run} at once. The weights are shared read-only; each call
 * works in its own state (the interpreter's per-call frame, or for generated code that keeps buffers, an instance
 * taken from a pool, see {@link CompiledModel}). There is no global state: two models, even of the same file, share
 * nothing.
 *
 * <p>Inputs are checked against {@link #signature()} before any kernel runs: a missing or unknown input, a wrong
 * dtype, rank or size, or a symbolic dim bound to two sizes is an {@link IllegalArgumentException} naming the input
 * and what was expected. A failure while running is a {@link KilnRuntimeException} naming the node.
 *
 * <p>Loading a {@code jvm} artifact also warms its generated code up through {@code run} itself ({@link FirstCallWarmup},
 * up to ~2 s of CPU time), so the first call runs compiled code rather than the JIT's interpreter; an {@code llvm}
 * artifact gets a shorter one (up to 0.5 s) for the Java around its native code.
 */
public final class KilnModel {
  private final Artifact artifact;
  private final Signature signature;
  private final Executable executable;

  private KilnModel(Artifact artifact) {
    this.artifact = artifact;
    this.signature = new Signature(specs(artifact.manifest().inputs()), specs(artifact.manifest().outputs()));
    this.executable = Backends.create(artifact);
    warmUp(warmUpMillis(artifact.manifest().backend()));
  }

  /**
   * The CPU-time budget of the warm-up at loading, by backend: 2 s for {@code jvm} (its kernels are bytecode the JIT
   * must compile), 0.5 s for {@code llvm} (machine code already; the Java around it, input checks, copies in and out
   * of native buffers, is not compiled yet, and the native workspace's pages are not touched yet: a first call paid
   * 2-11 ms for models whose median is 0.04-0.4 ms), none for the interpreter.
   */
  static long warmUpMillis(String backend) {
    return switch (backend) {
      case "jvm" -> FirstCallWarmup.BUDGET_MILLIS;
      case "llvm" -> 500;
      default -> 0;
    };
  }

  /**
   * Generated JVM classes are new code that the JIT has not compiled yet: run them on made-up inputs of the
   * signature's shapes ({@link FirstCallWarmup}) so the first real call is not 100x the median. The runs go through
   * this class's own entry points, called through method handles so that the JIT compiles those methods themselves
   * rather than copies inlined into the warm-up ({@link WarmupEntry}), {@link #run(Map)} (with several
   * kinds of map) and {@link #run(Tensor...)} in turn,
   * with tensors on the heap and in native memory, so the input checks and the result maps are compiled code at the
   * first call too, not only the kernels, whatever kind of map and tensor the caller passes (for an llvm artifact
   * that Java is all there is to compile, within {@code budgetMillis} of CPU time). Skipped
   * when an input is not a tensor of static shape, or under {@code -Dkiln.jvm.warmup=false}. For a pooled model
   * this warms the one instance loading made, the first one calls get.
   */
  private void warmUp(long budgetMillis) {
    if (!FirstCallWarmup.ON || budgetMillis <= 0) return;
    Tensor[] sample = new Tensor[signature.inputs().size()];
    for (int i = 0; i < sample.length; i++) {
      TensorSpec s = signature.inputs().get(i);
      if (!(s.type() instanceof TensorType t) || !t.shape().isRanked() || !t.shape().isStatic()) return;
      sample[i] = FirstCallWarmup.sample(t.dtype(), t.shape().sizes());
    }
    try {
      InputCheck.bind(signature, sample);
    } catch (IllegalArgumentException e) {
      return;
    }
    // The same values in native memory too (FirstCallWarmup.offHeap): callers pass tensors of either kind.
    Tensor[] offHeap = new Tensor[sample.length];
    Map<String, Tensor> named = new LinkedHashMap<>(), namedOffHeap = new LinkedHashMap<>();
    for (int i = 0; i < sample.length; i++) {
      offHeap[i] = FirstCallWarmup.offHeap(sample[i]);
      named.put(signature.inputs().get(i).name(), sample[i]);
      namedOffHeap.put(signature.inputs().get(i).name(), offHeap[i]);
    }
    List<Map<String, Tensor>> maps = new ArrayList<>(FirstCallWarmup.mapKinds(named));
    List<Map<String, Tensor>> mapsOffHeap = FirstCallWarmup.mapKinds(namedOffHeap);
    for (int i = 0; i < mapsOffHeap.size(); i++) maps.add(2 * i + 1, mapsOffHeap.get(i));
    // Real calls of this object's run methods, not copies inlined into the warm-up (WarmupEntry).
    MethodHandle byPosition = WarmupEntry.bind(RUN_TENSORS, this), byName = WarmupEntry.bind(RUN_MAP, this);
    FirstCallWarmup.run(i -> {
      if ((i & 1) == 0) WarmupEntry.call(byPosition, (i & 2) == 0 ? sample : offHeap);
      else WarmupEntry.call(byName, maps.get((i >> 1) % maps.size()));
    }, budgetMillis);
  }

  private static final MethodHandle RUN_TENSORS = WarmupEntry.method(KilnModel.class, "run", Tensor[].class),
      RUN_MAP = WarmupEntry.method(KilnModel.class, "run", Map.class);

  /**
   * Loads and checks an artifact file; weights are read once, straight into their tensors.
   *
   * @throws dev.kiln.runtime.artifact.ArtifactException naming the file, entry and every problem found
   */
  public static KilnModel load(Path file) throws IOException { return new KilnModel(ArtifactReader.read(file)); }

  /** Loads from a stream read to its end (not closed); messages call it {@code <stream>}. */
  public static KilnModel load(InputStream in) throws IOException { return load(in, "<stream>"); }

  /** Loads from a stream read to its end (not closed); {@code sourceName} names it in messages. */
  public static KilnModel load(InputStream in, String sourceName) throws IOException {
    return new KilnModel(ArtifactReader.read(Objects.requireNonNull(in, "in"), sourceName));
  }

  /**
   * Loads a class-path resource, e.g. {@code "models/mlp.kiln"} (a leading '/' is allowed), looked up through the
   * thread's context class loader, then the runtime's.
   *
   * @throws FileNotFoundException when no such resource exists
   */
  public static KilnModel loadResource(String name) throws IOException {
    String n = name.startsWith("/") ? name.substring(1) : name;
    ClassLoader ctx = Thread.currentThread().getContextClassLoader();
    InputStream in = ctx != null ? ctx.getResourceAsStream(n) : null;
    if (in == null) in = KilnModel.class.getClassLoader().getResourceAsStream(n);
    if (in == null) throw new FileNotFoundException("no resource " + name + " on the class path");
    try (InputStream s = in) {
      return load(s, "resource:" + n);
    }
  }

  /** A model for an artifact already read (e.g. by tools that inspect it first). */
  public static KilnModel of(Artifact artifact) { return new KilnModel(Objects.requireNonNull(artifact, "artifact")); }

  /** Inputs and outputs with names, dtypes and shapes (symbolic dims by name). */
  public Signature signature() { return signature; }

  /** The checked manifest: backend, target, Kiln version, pipeline, weight index. */
  public Manifest manifest() { return artifact.manifest(); }

  /** Things loading noticed that do not stop the model from running (e.g. compiled for another vector width). */
  public List<String> notes() { return artifact.notes(); }

  /**
   * Runs once with inputs by name.
   *
   * @param inputs exactly one tensor per input of {@link #signature()}, not null
   * @return the outputs by name, in signature order (numbers become zero-dim tensors)
   * @throws IllegalArgumentException for a missing, unknown or ill-fitting input, before anything runs
   * @throws KilnRuntimeException when a node fails, or an output is not a tensor or a number
   */
  public Map<String, Tensor> run(Map<String, Tensor> inputs) {
    List<Tensor> out = outputs(executable.run(InputCheck.bind(signature, inputs)));
    Map<String, Tensor> named = new LinkedHashMap<>();
    for (int i = 0; i < out.size(); i++) named.put(signature.outputs().get(i).name(), out.get(i));
    return Collections.unmodifiableMap(named);
  }

  /**
   * Runs once with inputs in signature order.
   *
   * @return the outputs in signature order
   * @throws IllegalArgumentException for a wrong number of inputs or an ill-fitting one, before anything runs
   */
  public List<Tensor> run(Tensor... inputs) { return outputs(executable.run(InputCheck.bind(signature, inputs))); }

  private List<Tensor> outputs(List<Object> values) {
    List<TensorSpec> specs = signature.outputs();
    if (values.size() != specs.size())
      throw new KilnRuntimeException(artifact.source() + ": the " + manifest().backend() + " backend returned " + values.size()
          + " values for " + specs.size() + " outputs");
    List<Tensor> out = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      out.add(switch (values.get(i)) {
        case Tensor t -> t;
        case Long l -> Tensor.fromLongs(new long[] {l});
        case Double d -> Tensor.fromDoubles(new double[] {d});
        case Boolean b -> Tensor.fromBools(new boolean[] {b});
        case null -> throw new KilnRuntimeException("output \"" + specs.get(i).name() + "\" is none, not a tensor");
        default -> throw new KilnRuntimeException("output \"" + specs.get(i).name() + "\" is a " + specs.get(i).type().text()
            + ", which KilnModel cannot return as a tensor");
      });
    }
    return Collections.unmodifiableList(out);
  }

  private static List<TensorSpec> specs(List<Port> ports) {
    List<TensorSpec> out = new ArrayList<>();
    // The manifest's types were checked to parse when it was read.
    for (Port p : ports) out.add(new TensorSpec(p.name(), IrParser.parseType(p.type(), p.name())));
    return out;
  }

  @Override public String toString() { return "KilnModel(" + artifact.source() + ", " + manifest().backend() + ", " + signature + ")"; }
}
