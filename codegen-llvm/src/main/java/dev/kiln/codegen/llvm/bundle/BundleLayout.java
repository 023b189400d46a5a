package dev.kiln.codegen.llvm.bundle;

import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.KernelProgram;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where every storage of a bundle lives, as Glow's bundles do it: two caller-owned regions. The read-only
 * <b>weights</b> blob holds the weights and re-laid-out constants the run kernels read, back to back. The
 * <b>workspace</b> starts with the kernels' shared scratch (GEMM packing, im2col), followed by inputs and
 * temporaries; two storages share bytes when their live ranges (first to last run kernel touching them, inclusive)
 * are disjoint. Inputs are live from the start (copied in), outputs to the end (copied out). Every offset is a
 * multiple of {@link #ALIGN}.
 *
 * <p>Sharing is safe because every kernel fully writes the storages it produces before reading them (the JIT backend
 * relies on the same property when it reuses temps across runs without clearing them).
 */
public final class BundleLayout {
  /** Alignment of both regions and of every storage in them: the kernels' pointer parameters are {@code align 64}. */
  public static final int ALIGN = 64;

  /** Which caller region a storage is in. */
  public enum Region { WEIGHTS, WORKSPACE }

  /** One storage: region, byte offset in it and byte size (unrounded). */
  public record Placement(String storage, Region region, long offset, long bytes) {}

  private final Map<String, Placement> placements;
  private final long weightsBytes, workspaceBytes, scratchBytes, unsharedBytes;

  private BundleLayout(Map<String, Placement> placements, long weightsBytes, long workspaceBytes, long scratchBytes, long unsharedBytes) {
    this.placements = placements;
    this.weightsBytes = weightsBytes;
    this.workspaceBytes = workspaceBytes;
    this.scratchBytes = scratchBytes;
    this.unsharedBytes = unsharedBytes;
  }

  /**
   * @param p the program; only read
   * @param runParams for each run kernel in order, the storages it touches
   * @param scratchBytes bytes of shared kernel scratch at the start of the workspace
   */
  public static BundleLayout plan(KernelProgram p, List<List<String>> runParams, long scratchBytes) {
    int n = runParams.size();
    Map<String, int[]> live = new LinkedHashMap<>(); // storage -> {first, last} run kernel index
    for (String in : p.inputs()) touch(live, p.storageOf(in).name(), -1);
    for (int i = 0; i < n; i++) for (String s : runParams.get(i)) touch(live, s, i);
    for (String out : p.outputs()) touch(live, p.storageOf(out).name(), n);

    Map<String, Placement> placed = new LinkedHashMap<>();
    long weights = 0;
    List<String> activations = new ArrayList<>();
    for (String s : live.keySet()) {
      KBuffer b = p.buffer(s);
      if (b.type() == KType.OBJ) throw new IllegalArgumentException("buffer %" + s + " holds an object (" + b.role() + ")");
      if (b.role() == KBuffer.Role.WEIGHT || b.role() == KBuffer.Role.CONST) {
        placed.put(s, new Placement(s, Region.WEIGHTS, weights, bytes(b)));
        weights += round(bytes(b));
      } else {
        activations.add(s);
      }
    }
    // Largest first, each at the lowest offset clear of every placed storage whose live range meets its own.
    activations.sort(Comparator.comparingLong((String s) -> -bytes(p.buffer(s))).thenComparing(s -> s));
    long base = round(scratchBytes), end = base, unshared = 0;
    List<String> done = new ArrayList<>();
    for (String s : activations) {
      long size = round(bytes(p.buffer(s)));
      unshared += size;
      int[] r = live.get(s);
      List<long[]> busy = new ArrayList<>();
      for (String o : done) {
        int[] q = live.get(o);
        if (q[0] <= r[1] && r[0] <= q[1]) busy.add(new long[] {placed.get(o).offset(), round(placed.get(o).bytes())});
      }
      busy.sort(Comparator.comparingLong(a -> a[0]));
      long at = base;
      for (long[] b : busy) {
        if (at + size <= b[0]) break;
        at = Math.max(at, b[0] + b[1]);
      }
      placed.put(s, new Placement(s, Region.WORKSPACE, at, bytes(p.buffer(s))));
      done.add(s);
      end = Math.max(end, at + size);
    }
    return new BundleLayout(placed, weights, end, round(scratchBytes), unshared);
  }

  private static void touch(Map<String, int[]> live, String s, int at) {
    int[] r = live.computeIfAbsent(s, k -> new int[] {at, at});
    r[0] = Math.min(r[0], at);
    r[1] = Math.max(r[1], at);
  }

  static long bytes(KBuffer b) { return b.numel() * (b.type() == KType.F32 ? 4 : b.type() == KType.I64 ? 8 : 1); }

  static long round(long bytes) { return (bytes + ALIGN - 1) / ALIGN * ALIGN; }

  /** The placement of storage {@code name}; throws if the run never touches it. */
  public Placement of(String name) {
    Placement pl = placements.get(name);
    if (pl == null) throw new IllegalArgumentException("storage %" + name + " is not used by the bundle's run");
    return pl;
  }

  /** Every placed storage, weights first (in blob order), then activations (largest first). */
  public List<Placement> placements() { return List.copyOf(placements.values()); }

  /** Bytes of the weights blob. */
  public long weightsBytes() { return weightsBytes; }

  /** Bytes of the workspace: scratch plus the shared activation area. */
  public long workspaceBytes() { return workspaceBytes; }

  /** Bytes of kernel scratch at the start of the workspace. */
  public long scratchBytes() { return scratchBytes; }

  /** What the activations would take with no sharing (for reports). */
  public long unsharedActivationBytes() { return unsharedBytes; }
}
