package dev.kiln.codegen.jvm;

import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import java.util.List;
import java.util.Map;

/**
 * The output of {@link JvmBackend#compile}: class files by binary name, and the entry class implementing
 * {@link CompiledModel}. Immutable; the byte arrays are not copied, do not change them.
 *
 * @param entryClass binary name of the entry class (a key of {@code classes})
 * @param classes class-file bytes by binary name
 * @param warmupInputs the inputs {@link #instantiate} warms the model up on ({@link ModelWarmup}); null for none
 */
public record JvmCompiled(String entryClass, Map<String, byte[]> classes, List<ModelWarmup.Input> warmupInputs) {
  public JvmCompiled {
    classes = Map.copyOf(classes);
    if (!classes.containsKey(entryClass)) throw new IllegalArgumentException("entry class " + entryClass + " is not among the classes");
  }

  /** Classes without warm-up inputs: {@link #instantiate} does not run the model. */
  public JvmCompiled(String entryClass, Map<String, byte[]> classes) { this(entryClass, classes, null); }

  /**
   * Loads the classes in a fresh in-memory class loader (parent: the loader of Kiln's runtime) and makes the model,
   * then runs it on made-up inputs until the JIT has compiled it and its speed has settled, so its first real call
   * runs compiled code ({@link ModelWarmup}, up to ~2 s; off with {@code -Dkiln.jvm.warmup=false} or when there are
   * no warm-up inputs).
   *
   * @param weights the weights by name, not null; the model copies what it needs into its own arrays
   * @throws IllegalStateException when loading or constructing fails, with the cause
   */
  public CompiledModel instantiate(Map<String, Tensor> weights) {
    try {
      ClassLoader loader = new InMemoryClassLoader(classes, CompiledModel.class.getClassLoader());
      Class<?> c = Class.forName(entryClass, true, loader);
      CompiledModel model = (CompiledModel) c.getConstructor(Map.class).newInstance(weights);
      ModelWarmup.run(model, warmupInputs);
      return model;
    } catch (java.lang.reflect.InvocationTargetException e) {
      Throwable t = e.getCause();
      if (t instanceof RuntimeException r) throw r;
      throw new IllegalStateException("constructing " + entryClass + " failed: " + t, t);
    } catch (ReflectiveOperationException | LinkageError e) {
      throw new IllegalStateException("loading " + entryClass + " failed: " + e, e);
    }
  }

  /** Defines classes from byte arrays on first request. */
  private static final class InMemoryClassLoader extends ClassLoader {
    private final Map<String, byte[]> classes;

    InMemoryClassLoader(Map<String, byte[]> classes, ClassLoader parent) {
      super(parent);
      this.classes = classes;
    }

    @Override protected Class<?> findClass(String name) throws ClassNotFoundException {
      byte[] b = classes.get(name);
      if (b == null) throw new ClassNotFoundException(name);
      return defineClass(name, b, 0, b.length);
    }
  }
}
