package dev.kiln.codegen.llvm.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.lower.KernelLowering;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The bundle's memory layout on an unfused chain of elementwise kernels (one temp each): weights go to the weights
 * region, activations whose live ranges meet never share bytes, nothing overlaps the scratch, and a chain needs
 * only a few slots rather than one per temp.
 */
class BundleLayoutTest {
  static final String CHAIN = """
      graph @chain(%x: f32[1,64,8,8], %b: f32[64,1,1]) -> (f32[1,64,8,8]) {
        %w = const {name="w"} : f32[64,1,1]
        %0 = nn.relu(%x) : f32[1,64,8,8]
        %1 = nn.add(%0, %w) {alpha=1} : f32[1,64,8,8]
        %2 = nn.sigmoid(%1) : f32[1,64,8,8]
        %3 = nn.tanh(%2) : f32[1,64,8,8]
        %4 = nn.add(%3, %b) {alpha=1} : f32[1,64,8,8]
        %5 = nn.relu(%4) : f32[1,64,8,8]
        return(%5)
      }""";

  @Test
  void liveActivationsNeverShareBytes() {
    KernelProgram p = KernelLowering.lower(IrParser.parse(CHAIN, "chain"));
    List<List<String>> params = new ArrayList<>();
    for (Kernel k : p.kernels())
      params.add(new ArrayList<>(new LinkedHashSet<>(k.params().stream()
          .filter(n -> p.buffer(n).type() != KType.OBJ).map(n -> p.storageOf(n).name()).toList())));
    assertEquals(6, params.size(), "one kernel per op (no fusion)");
    long scratch = 1000;
    BundleLayout layout = BundleLayout.plan(p, params, scratch);

    Map<String, int[]> live = new HashMap<>();
    for (String in : p.inputs()) live.put(p.storageOf(in).name(), new int[] {-1, -1});
    for (int i = 0; i < params.size(); i++)
      for (String s : params.get(i)) live.merge(s, new int[] {i, i}, (a, b) -> new int[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
    for (String out : p.outputs()) live.get(p.storageOf(out).name())[1] = params.size();

    List<BundleLayout.Placement> work = new ArrayList<>();
    for (BundleLayout.Placement pl : layout.placements()) {
      assertEquals(0, pl.offset() % BundleLayout.ALIGN, pl + " is not 64-byte aligned");
      if (pl.region() == BundleLayout.Region.WEIGHTS) {
        assertEquals("w", p.buffer(pl.storage()).source(), pl + ": only the weight is constant");
        continue;
      }
      assertTrue(pl.offset() >= layout.scratchBytes(), pl + " overlaps the scratch");
      assertTrue(pl.offset() + pl.bytes() <= layout.workspaceBytes(), pl + " ends past the workspace");
      work.add(pl);
    }
    assertEquals(1024, layout.scratchBytes(), "scratch rounded up to 64");
    assertEquals(256, layout.weightsBytes(), "f32[64] weight");
    assertEquals(2 + 6, work.size(), "inputs x and b, and six temps/outputs");
    for (BundleLayout.Placement a : work)
      for (BundleLayout.Placement c : work) {
        if (a == c) continue;
        int[] ra = live.get(a.storage()), rc = live.get(c.storage());
        boolean bothLive = ra[0] <= rc[1] && rc[0] <= ra[1];
        boolean overlap = a.offset() < c.offset() + c.bytes() && c.offset() < a.offset() + a.bytes();
        assertTrue(!(bothLive && overlap), a + " and " + c + " are live together but share bytes");
      }
    long tensor = 64 * 8 * 8 * 4;
    assertEquals(7 * tensor + 256, layout.unsharedActivationBytes(), "x, six temps and b unshared");
    assertTrue(layout.workspaceBytes() - layout.scratchBytes() <= 3 * tensor + 256,
        "a chain needs at most three tensor slots plus b: " + (layout.workspaceBytes() - layout.scratchBytes()));
  }
}
