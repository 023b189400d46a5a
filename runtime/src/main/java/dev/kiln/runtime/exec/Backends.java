package dev.kiln.runtime.exec;

import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.artifact.Artifact;
import dev.kiln.runtime.artifact.ArtifactException;
import dev.kiln.runtime.interp.Interpreter;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.util.Map;

/** Makes the {@link Executable} for a checked artifact, by its manifest's backend. */
final class Backends {
  private Backends() {}

  static Executable create(Artifact a) {
    return switch (a.manifest().backend()) {
      case "interp" -> interp(a);
      case "jvm" -> jvm(a);
      case "llvm" -> NativeBackend.create(a);
      // ManifestCheck refuses other backends before we get here.
      default -> throw new ArtifactException(a.source(), "backend \"" + a.manifest().backend() + "\" is not one this runtime runs");
    };
  }

  /** The interpreter keeps each run's values in its own frame: one instance serves all threads, no workspace. */
  private static Executable interp(Artifact a) {
    Interpreter in;
    try {
      in = new Interpreter(a.graph(), a.weights());
    } catch (IllegalArgumentException noKernel) {
      throw new ArtifactException(a.source() + "!graph.kir", noKernel.getMessage());
    }
    return in::run;
  }

  private static Executable jvm(Artifact a) {
    String entry = a.manifest().entryClass();
    String where = a.source() + "!classes/" + entry.replace('.', '/') + ".class";
    ClassLoader loader = new ArtifactClassLoader(a.source(), a.classes(), KilnModel.class.getClassLoader());
    Class<?> c;
    try {
      c = Class.forName(entry, true, loader);
    } catch (ClassNotFoundException | LinkageError e) {
      throw new ArtifactException(where, "cannot load the entry class: " + e, e);
    }
    if (!CompiledModel.class.isAssignableFrom(c))
      throw new ArtifactException(where, entry + " does not implement " + CompiledModel.class.getName());
    Constructor<? extends CompiledModel> ctor;
    try {
      ctor = c.asSubclass(CompiledModel.class).getConstructor(Map.class);
    } catch (NoSuchMethodException e) {
      throw new ArtifactException(where, entry + " has no public constructor (java.util.Map<String, Tensor> weights)");
    }
    Map<String, Tensor> weights = a.weights();
    CompiledModel first = instantiate(ctor, weights, where);
    return pooled(first, () -> instantiate(ctor, weights, where));
  }

  /** {@code first} itself when it is thread-safe, else a pool of instances made by {@code more}. */
  static Executable pooled(CompiledModel first, java.util.function.Supplier<CompiledModel> more) {
    if (first.isThreadSafe()) return first;
    int maxIdle = Math.max(2, Runtime.getRuntime().availableProcessors() * 2);
    return new InstancePool(first, more, maxIdle);
  }

  private static CompiledModel instantiate(Constructor<? extends CompiledModel> ctor, Map<String, Tensor> weights, String where) {
    try {
      return ctor.newInstance(weights);
    } catch (InvocationTargetException e) {
      throw new ArtifactException(where, "the entry class's constructor failed: " + e.getCause(), e.getCause());
    } catch (ReflectiveOperationException | LinkageError e) {
      throw new ArtifactException(where, "cannot instantiate the entry class: " + e, e);
    }
  }
}
