package dev.kiln.runtime.exec;

import static dev.kiln.runtime.artifact.TestArtifacts.parse;
import static dev.kiln.runtime.artifact.TestArtifacts.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.artifact.ArtifactException;
import dev.kiln.runtime.artifact.ArtifactWriter;
import dev.kiln.runtime.artifact.Target;
import dev.kiln.runtime.exec.fixture.BufferedScaleModel;
import dev.kiln.runtime.exec.fixture.NotAModel;
import dev.kiln.runtime.exec.fixture.ProbedScaleModel;
import dev.kiln.runtime.exec.fixture.ScaleModel;
import dev.kiln.runtime.exec.fixture.WarmupProbe;
import dev.kiln.runtime.interp.Interpreter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jvm backend path with hand-written entry classes standing in for generated ones: their class files are read
 * from the test class path and stored in artifacts, then loaded through the artifact's own class loader.
 */
class JvmArtifactTest {
  private static final String SCALE = """
      graph @scale(%x: f32[N,4]) -> (f32[N,4]) {
        %s = const {name="scale"} : f32[4]
        %y = nn.mul(%x, %s) : f32[N,4]
        return(%y)
      }
      """;
  private static final Map<String, Tensor> WEIGHTS = Map.of("scale", Tensor.fromFloats(new float[] {0.5f, -2f, 3f, 0.125f}, 4));

  @TempDir Path dir;

  @Test
  void theEntryClassIsDefinedFromTheArtifactAndMatchesTheInterpreter() throws IOException {
    int before = ScaleModel.constructed;
    KilnModel m = KilnModel.load(jvmArtifact(ScaleModel.class, ScaleModel.class.getName(), Target.host()));
    assertEquals(before, ScaleModel.constructed, "the artifact's copy of the class was used, not the test's");
    assertEquals("jvm", m.manifest().backend());
    assertEquals(ScaleModel.class.getName(), m.manifest().entryClass());
    Tensor x = random(4, 3, 4);
    Tensor want = (Tensor) new Interpreter(parse(SCALE), WEIGHTS).run(List.of(x)).getFirst();
    assertArrayEquals(KilnModelTest.bits(want), KilnModelTest.bits(m.run(Map.of("x", x)).get("y")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.run(random(1, 3, 5)));
    assertEquals("input \"x\": expected f32[N,4], got f32[3,5] (dim 1 is 5, expected 4)", e.getMessage(), "checked before the class runs");
  }

  @Test
  void modelsWithPerInstanceBuffersArePooledAcrossEightThreads() throws Exception {
    KilnModel m = KilnModel.load(jvmArtifact(BufferedScaleModel.class, BufferedScaleModel.class.getName(), Target.host()));
    List<Tensor> inputs = new ArrayList<>();
    List<int[]> expected = new ArrayList<>();
    Interpreter interp = new Interpreter(parse(SCALE), WEIGHTS);
    for (int i = 0; i < 4; i++) {
      inputs.add(random(50 + i, 1 + 3 * i, 4));
      expected.add(KilnModelTest.bits((Tensor) interp.run(List.of(inputs.get(i))).getFirst()));
      assertArrayEquals(expected.get(i), KilnModelTest.bits(m.run(inputs.get(i)).getFirst()));
    }
    KilnModelTest.assertConcurrentRunsMatch(m, inputs, expected);
  }

  @Test
  void loadingWarmsUpAStaticShapeModelAndItsOutputsStayTheSame() throws IOException {
    String fixed = SCALE.replace("f32[N,4]", "f32[3,4]");
    int before = WarmupProbe.runs.get();
    KilnModel m = KilnModel.load(jvmArtifact(ProbedScaleModel.class, ProbedScaleModel.class.getName(), Target.host(), fixed));
    int warm = WarmupProbe.runs.get() - before;
    if (FirstCallWarmup.ON) assertTrue(warm >= FirstCallWarmup.MIN_RUNS, "load ran the model " + warm + " times");
    Tensor x = random(9, 3, 4);
    Tensor want = (Tensor) new Interpreter(parse(fixed), WEIGHTS).run(List.of(x)).getFirst();
    assertArrayEquals(KilnModelTest.bits(want), KilnModelTest.bits(m.run(Map.of("x", x)).get("y")));
    assertEquals(warm + 1, WarmupProbe.runs.get() - before, "one run per call after loading");

    // A symbolic batch has no shape to make inputs of: loading does not run the model.
    before = WarmupProbe.runs.get();
    KilnModel.load(jvmArtifact(ProbedScaleModel.class, ProbedScaleModel.class.getName(), Target.host()));
    assertEquals(before, WarmupProbe.runs.get());
  }

  @Test
  void theWarmUpCallsTheModelsOwnRunMethodsThroughMethodHandles() throws IOException {
    // Called directly, KilnModel.run would be inlined into the warm-up's compiled code, and the run method a caller
    // calls would stay cold (WarmupEntry): every warm-up run must come into run(...) from WarmupEntry.call.
    String fixed = SCALE.replace("f32[N,4]", "f32[3,4]");
    WarmupProbe.kilnModelCallers.clear();
    KilnModel m = KilnModel.load(jvmArtifact(ProbedScaleModel.class, ProbedScaleModel.class.getName(), Target.host(), fixed));
    if (FirstCallWarmup.ON) assertEquals(java.util.Set.of(WarmupEntry.class.getName() + ".call"), WarmupProbe.kilnModelCallers);
    m.run(random(5, 3, 4));
    assertTrue(WarmupProbe.kilnModelCallers.contains(getClass().getName() + ".theWarmUpCallsTheModelsOwnRunMethodsThroughMethodHandles"),
        WarmupProbe.kilnModelCallers.toString());
  }

  @Test
  void afterTheWarmUpEveryKindOfCallGivesTheSameBits() throws IOException {
    // The warm-up goes through run(Map) and run(Tensor...) with several kinds of map and with heap and native
    // tensors; whichever the caller then uses, the answer is the interpreter's.
    String fixed = SCALE.replace("f32[N,4]", "f32[3,4]");
    KilnModel m = KilnModel.load(jvmArtifact(ProbedScaleModel.class, ProbedScaleModel.class.getName(), Target.host(), fixed));
    Tensor x = random(11, 3, 4);
    int[] want = KilnModelTest.bits((Tensor) new Interpreter(parse(fixed), WEIGHTS).run(List.of(x)).getFirst());
    Tensor offHeap = FirstCallWarmup.offHeap(x);
    assertTrue(offHeap.segment().isNative());
    assertArrayEquals(want, KilnModelTest.bits(m.run(offHeap).getFirst()));
    assertArrayEquals(want, KilnModelTest.bits(m.run(x).getFirst()));
    for (Map<String, Tensor> named : FirstCallWarmup.mapKinds(Map.of("x", x)))
      assertArrayEquals(want, KilnModelTest.bits(m.run(named).get("y")), named.getClass().getName());
  }

  @Test
  void theWarmUpBudgetIsTwoSecondsForJvmHalfASecondForLlvmNoneForTheInterpreter() {
    assertEquals(FirstCallWarmup.BUDGET_MILLIS, KilnModel.warmUpMillis("jvm"));
    assertEquals(500, KilnModel.warmUpMillis("llvm"));
    assertEquals(0, KilnModel.warmUpMillis("interp"));
  }

  @Test
  void anotherVectorWidthIsNotedAndANewerJavaRefused() throws IOException {
    Target host = Target.host();
    KilnModel m = KilnModel.load(jvmArtifact(ScaleModel.class, ScaleModel.class.getName(), new Target(host.javaFeature(), 8192)));
    assertEquals(List.of("compiled for 8192-bit vectors, this machine prefers " + host.vectorBits() + "-bit; results are the same, speed may differ"),
        m.notes());
    ArtifactException e = assertThrows(ArtifactException.class,
        () -> KilnModel.load(jvmArtifact(ScaleModel.class, ScaleModel.class.getName(), new Target(host.javaFeature() + 1, host.vectorBits()))));
    assertEquals(List.of("target.java: compiled for Java " + (host.javaFeature() + 1) + ", this JVM is Java " + host.javaFeature()), e.problems());
  }

  @Test
  void classesInTheRuntimesOwnPackagesAreRefused() {
    ArtifactException e = assertThrows(ArtifactException.class,
        () -> KilnModel.load(jvmArtifact(ScaleModel.class, "dev.kiln.runtime.exec.Evil", Target.host())));
    assertEquals(List.of("classes/dev/kiln/runtime/exec/Evil.class: defines a class in package dev.kiln.runtime.exec, which belongs to the JDK or the Kiln runtime"),
        e.problems());
  }

  @Test
  void entryClassesThatAreNotModelsOrMisnamedAreRefused() {
    ArtifactException e = assertThrows(ArtifactException.class,
        () -> KilnModel.load(jvmArtifact(NotAModel.class, NotAModel.class.getName(), Target.host())));
    assertTrue(e.getMessage().endsWith(": dev.kiln.runtime.exec.fixture.NotAModel does not implement dev.kiln.runtime.exec.CompiledModel"), e.getMessage());
    e = assertThrows(ArtifactException.class, () -> KilnModel.load(jvmArtifact(ScaleModel.class, "gen.Model", Target.host())));
    assertTrue(e.getMessage().startsWith("<stream>!classes/gen/Model.class: cannot load the entry class: java.lang.NoClassDefFoundError"), e.getMessage());
  }

  /** An artifact for SCALE whose entry class {@code name} has the class file of {@code impl}. */
  private static InputStream jvmArtifact(Class<?> impl, String name, Target target) throws IOException {
    return jvmArtifact(impl, name, target, SCALE);
  }

  /** An artifact for graph {@code ir} whose entry class {@code name} has the class file of {@code impl}. */
  private static InputStream jvmArtifact(Class<?> impl, String name, Target target, String ir) throws IOException {
    byte[] bytes;
    try (InputStream in = impl.getResourceAsStream(impl.getSimpleName() + ".class")) {
      bytes = in.readAllBytes();
    }
    Graph g = parse(ir);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ArtifactWriter.write(out, g, WEIGHTS, "jvm", "fold", name, Map.of(name, bytes), target);
    return new ByteArrayInputStream(out.toByteArray());
  }
}
