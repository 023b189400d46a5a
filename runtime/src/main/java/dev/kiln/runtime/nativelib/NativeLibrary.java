package dev.kiln.runtime.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A shared library produced by Kiln's LLVM backend, loaded with {@link SymbolLookup#libraryLookup(Path, Arena)} and
 * called through {@code java.lang.foreign} downcalls; no JavaCPP or LLVM is needed at run time.
 *
 * <p>Call order: {@link #load}, then {@link #function} for each entry point, invoke the handles (from any thread),
 * {@link #close()} last. After close the library may be unmapped: handles must no longer be invoked.
 */
public final class NativeLibrary implements AutoCloseable {
  private final Path path;
  private final Arena arena;
  private final SymbolLookup lookup;
  private final boolean automatic;

  private NativeLibrary(Path path, Arena arena, SymbolLookup lookup, boolean automatic) {
    this.path = path;
    this.arena = arena;
    this.lookup = lookup;
    this.automatic = automatic;
  }

  /**
   * Loads (dlopen) the library at {@code path}; throws {@link IllegalArgumentException} naming the path when the
   * file is missing or is not a loadable library. The process needs {@code --enable-native-access}.
   */
  public static NativeLibrary load(Path path) {
    return load(path, false);
  }

  /**
   * As {@link #load(Path)}, but the library stays loaded exactly as long as the returned object is reachable (an
   * automatic arena): for models that have no close, such as an llvm artifact's, whose instances keep it reachable.
   * {@link #close()} then does nothing.
   */
  public static NativeLibrary loadUntilUnreachable(Path path) {
    return load(path, true);
  }

  private static NativeLibrary load(Path path, boolean automatic) {
    Path abs = path.toAbsolutePath();
    if (!Files.isRegularFile(abs)) throw new IllegalArgumentException("no native library at " + abs);
    Arena arena = automatic ? Arena.ofAuto() : Arena.ofShared();
    try {
      return new NativeLibrary(abs, arena, SymbolLookup.libraryLookup(abs, arena), automatic);
    } catch (IllegalArgumentException e) {
      if (!automatic) arena.close();
      throw new IllegalArgumentException("cannot load native library " + abs + ": " + e.getMessage(), e);
    }
  }

  public Path path() {
    return path;
  }

  /** The address of {@code symbol}, or empty when the library does not export it. */
  public Optional<MemorySegment> find(String symbol) {
    return lookup.find(symbol);
  }

  /**
   * A downcall handle for exported function {@code symbol} with C signature {@code descriptor}; throws
   * {@link IllegalArgumentException} naming the symbol and the library when it is not exported. The descriptor is
   * trusted: a wrong one is undefined behaviour, so callers take it from the artifact's signature.
   */
  @SuppressWarnings("restricted") // calling native code is the point; the JVM runs with --enable-native-access
  public MethodHandle function(String symbol, FunctionDescriptor descriptor, Linker.Option... options) {
    MemorySegment address = find(symbol)
        .orElseThrow(() -> new IllegalArgumentException(path + " does not export a function named " + symbol));
    return Linker.nativeLinker().downcallHandle(address, descriptor, options);
  }

  /** Unloads the library; handles from {@link #function} must not be invoked afterwards. */
  @Override
  public void close() {
    if (!automatic) arena.close();
  }
}
