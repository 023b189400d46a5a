package dev.kiln.bench;

import dev.kiln.codegen.jvm.JvmBackend;
import dev.kiln.codegen.jvm.JvmOptions;
import dev.kiln.runtime.interp.Interpreter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/** The Kiln backends the bench knows, by the name given to {@code --backend}. One line per backend. */
public final class KilnBackends {
  private KilnBackends() {}

  /**
   * A registered backend.
   *
   * @param threaded whether its kernels run on {@code dev.kiln.runtime.kernels.Threads}, so that the bench's
   *     thread count applies to it; when false the report says Kiln used every core in each row
   */
  public record Entry(String name, KilnBackend backend, boolean threaded) {}

  private static final SequencedMap<String, Entry> ALL = new LinkedHashMap<>();

  private static void add(String name, KilnBackend backend, boolean threaded) { ALL.put(name, new Entry(name, backend, threaded)); }

  static {
    // The reference interpreter: the oracle, not fast. Its kernels still use their own all-core pool (interp.Parallel).
    add("interp", (g, w) -> new Interpreter(g, w)::run, false);
    // Kernel IR emitted as one JVM class per model (codegen-jvm); its kernels run on runtime.kernels.Threads.
    add("jvm", (g, w) -> JvmBackend.compile(g, w, JvmOptions.defaults()).instantiate(w)::run, true);
    // add("llvm", ...);  once the LLVM backend compiles Kernel IR
  }

  /** The registered names, in registration order. */
  public static List<String> names() { return List.copyOf(ALL.keySet()); }

  /**
   * @param name a backend name such as {@code "interp"}, not null
   * @throws IllegalArgumentException for an unknown name, listing the known ones
   */
  public static Entry get(String name) {
    Entry e = ALL.get(name);
    if (e == null) throw new IllegalArgumentException("unknown Kiln backend '" + name + "'; known: " + String.join(", ", ALL.keySet()));
    return e;
  }
}
