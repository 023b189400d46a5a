package dev.kiln.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.fuse.FusePass;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The figures passes report through {@link PassRun#figure}, on graphs small enough to count by hand. */
class PassFiguresTest {
  /** The runs of {@code pipeline} on {@code ir}, in order. */
  private static List<PassRun> runs(String pipeline, String ir) {
    List<PassRun> runs = new ArrayList<>();
    PassManager.parse(pipeline).onPassRun(runs::add).run(IrParser.parse(ir, "t.kir"));
    return runs;
  }

  private static Map<String, Long> figures(Object... kv) {
    Map<String, Long> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], ((Number) kv[i + 1]).longValue());
    return m;
  }

  /** Insertion order matters: it is the order {@link PassRun#line} prints. */
  private static void assertFigures(Map<String, Long> want, PassRun run) {
    assertEquals(List.copyOf(want.entrySet()), List.copyOf(run.figures().entrySet()), run.line(8));
  }

  static final String CONV_AND_CHAIN = """
      graph @g(%x: f32[1,2,4,4], %w: f32[2,2,1,1], %b: f32[2,1,1], %y: f32[8]) -> (f32[1,2,4,4], f32[8]) {
        %c = nn.conv2d(%x, %w) : f32[1,2,4,4]
        %d = nn.add(%c, %b) : f32[1,2,4,4]
        %r = nn.relu(%d) : f32[1,2,4,4]
        %e = nn.exp(%y) : f32[8]
        %t = nn.tanh(%e) : f32[8]
        return(%r, %t)
      }
      """;

  @Test
  void fuseCountsTheGroupsItMadeByKind() {
    List<PassRun> runs = runs("fuse,fuse", CONV_AND_CHAIN);
    // conv2d -> add(bias) -> relu is one epilogue group; exp -> tanh one elementwise group.
    assertFigures(figures("groups", 2, "conv2d+epilogue", 1, "elementwise", 1), runs.get(0));
    // The second run finds everything fused already: it made nothing.
    assertFigures(figures("groups", 0), runs.get(1));
  }

  @Test
  void nhwcCountsConversionsInsertedCancelledAndLeft() {
    List<PassRun> runs = runs("nhwc", """
        graph @g(%x: f32[1,2,3,3], %w: f32[2,2,1,1]) -> (f32[1,2,3,3]) {
          %a = nn.conv2d(%x, %w) : f32[1,2,3,3]
          %n = nn.to_layout(%a) {layout="nhwc"} : f32[1,2,3,3]{nhwc}
          %r = nn.relu(%n) : f32[1,2,3,3]{nhwc}
          %b = nn.conv2d(%r, %w) : f32[1,2,3,3]
          %c = nn.relu(%b) : f32[1,2,3,3]
          return(%c)
        }
        """);
    // Inserted: x to nhwc before the first conv, c back to contiguous before return. The written to_layout then
    // converts an nhwc value to nhwc and is cancelled. Left: the two inserted ones.
    assertFigures(figures("inserted", 2, "cancelled", 1, "remaining", 2), runs.get(0));
  }

  @Test
  void planMemoryReportsUnplannedAndArenaBytes() {
    List<PassRun> runs = runs("plan-memory", """
        graph @g(%x: f32[1,16]) -> (f32[1,16]) {
          %a = nn.exp(%x) : f32[1,16]
          %b = nn.tanh(%x) : f32[1,16]
          %c = nn.add(%a, %b) : f32[1,16]
          %d = nn.sigmoid(%c) : f32[1,16]
          return(%d)
        }
        """);
    // Each value is 64 bytes (one alignment unit). c overwrites a, which dies at the add (1 in place); d is the
    // output, so it is not in the arena. Unplanned: a, b, c = 192. Arena: {a,c} and b live together = 128.
    assertFigures(figures("unplanned-bytes", 192, "arena-bytes", 128, "live-peak-bytes", 128, "output-bytes", 64,
        "in-place", 1, "dynamic", 0), runs.get(0));
    assertTrue(runs.get(0).line(11).endsWith("unplanned-bytes=192B arena-bytes=128B live-peak-bytes=128B output-bytes=64B in-place=1 dynamic=0"),
        runs.get(0).line(11));
  }

  @Test
  void passesWithoutFiguresGetRemovedAndAddedNodes() {
    List<PassRun> runs = runs("fold,dce,cse", """
        graph @g(%x: f32[3]) -> (f32[3]) {
          %a = const {value=[1.0,2.0,3.0]} : f32[3]
          %b = const {value=[0.5,0.25,0.125]} : f32[3]
          %c = nn.mul(%a, %b) : f32[3]
          %d = nn.neg(%c) : f32[3]
          %y = nn.add(%x, %d) : f32[3]
          return(%y)
        }
        """);
    // fold: a, b, c, d become one literal const.
    assertFigures(figures("removed", 4, "added", 1), runs.get(0));
    // dce and cse find nothing to do: no figures, and none printed.
    assertFigures(figures(), runs.get(1));
    assertFigures(figures(), runs.get(2));
    assertFalse(runs.get(1).line(4).contains("="), runs.get(1).line(4));
  }

  @Test
  void dceReportsWhatItRemoved() {
    List<PassRun> runs = runs("dce", """
        graph @g(%x: f32[4]) -> (f32[4]) {
          %e = nn.exp(%x) : f32[4]
          %n = nn.neg(%e) : f32[4]
          %r = nn.relu(%x) : f32[4]
          return(%r)
        }
        """);
    assertFigures(figures("removed", 2), runs.get(0));
    assertEquals(4, runs.get(0).nodesBefore());
    assertEquals(2, runs.get(0).nodesAfter());
  }

  @Test
  void aPassRunDirectlyReportsToNobody() {
    Graph g = IrParser.parse(CONV_AND_CHAIN, "t.kir");
    assertFalse(PassRun.collecting());
    new FusePass().run(g); // PassRun.figure is a no-op here and must not leak into a later manager run
    List<PassRun> runs = new ArrayList<>();
    PassManager.parse("dce").onPassRun(runs::add).run(g);
    assertFigures(figures(), runs.get(0));
    assertFalse(PassRun.collecting());
    assertTrue(IrPrinter.print(g).contains("kind=\"elementwise\""));
  }

  @Test
  void bytesPrintInBinaryUnits() {
    assertEquals("512B", PassRun.bytes(512));
    assertEquals("1.00KiB", PassRun.bytes(1024));
    assertEquals("3.06MiB", PassRun.bytes(3_211_264));
    assertEquals("47.0MiB", PassRun.bytes(47L << 20));
    assertEquals("1.50GiB", PassRun.bytes(3L << 29));
  }
}
