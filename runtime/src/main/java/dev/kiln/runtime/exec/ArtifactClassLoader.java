package dev.kiln.runtime.exec;

import java.util.Map;

/**
 * Defines the classes of one jvm artifact and nothing else. A name the artifact holds is always defined from the
 * artifact's bytes (never delegated, so an artifact cannot pick up a same-named class from the application); every
 * other name goes to the parent, the loader of the Kiln runtime, which is how generated code reaches
 * {@code dev.kiln.runtime} and the JDK. Bytes are defined lazily, on first use. The reader has already refused
 * classes in the JDK's and the runtime's own packages.
 */
final class ArtifactClassLoader extends ClassLoader {
  static { registerAsParallelCapable(); }

  private final Map<String, byte[]> classes; // binary name -> bytes

  /** @param classes internal name ({@code gen/Model}) to class file bytes */
  ArtifactClassLoader(String artifact, Map<String, byte[]> classes, ClassLoader parent) {
    super("kiln-artifact:" + artifact, parent);
    Map<String, byte[]> byBinary = new java.util.HashMap<>();
    classes.forEach((k, v) -> byBinary.put(k.replace('/', '.'), v));
    this.classes = Map.copyOf(byBinary);
  }

  @Override protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
    if (!classes.containsKey(name)) return super.loadClass(name, resolve);
    synchronized (getClassLoadingLock(name)) {
      Class<?> c = findLoadedClass(name);
      if (c == null) c = findClass(name);
      if (resolve) resolveClass(c);
      return c;
    }
  }

  @Override protected Class<?> findClass(String name) throws ClassNotFoundException {
    byte[] b = classes.get(name);
    if (b == null) throw new ClassNotFoundException(name + " (not in the artifact)");
    return defineClass(name, b, 0, b.length);
  }
}
