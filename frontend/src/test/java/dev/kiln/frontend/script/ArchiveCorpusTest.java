package dev.kiln.frontend.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Parses every code/**.py file of the archives extract_code.py saved with PyTorch 1.13 (scripted,
 * traced and frozen models) and checks the shape of a few well-known ones.
 */
class ArchiveCorpusTest {
  @TestFactory
  Stream<DynamicTest> everyArchiveFileParses() {
    List<Path> files = Fixtures.pyFiles("archives");
    // extract_code.py writes about 600 files for 28 model forms; a much smaller corpus means it broke.
    assertTrue(files.size() >= 500, "only " + files.size() + " archive code files");
    return files.stream().map(f -> DynamicTest.dynamicTest(Fixtures.root().relativize(f).toString(), () -> {
      ScriptModule m = Fixtures.parse(f);
      assertTrue(m.imports().isEmpty(), "archives print no imports");
      assertTrue(m.classes().size() + m.functions().size() > 0 || f.toString().contains("classes"),
          "nothing parsed from " + f);
    }));
  }

  @Test
  void resnet18ScriptedForwardImplIsTheLayerChain() {
    ClassDef resnet = Fixtures.parse("archives/resnet18_scripted/__torch__/torchvision/models/resnet.py").classNamed("ResNet");
    assertNotNull(resnet);
    assertEquals(List.of(), resnet.parameters());
    assertEquals(List.of(), resnet.buffers());
    assertEquals("__torch__.torch.nn.modules.conv.Conv2d",
        ((TypeExpr.ClassRef) resnet.attribute("conv1").type()).qualifiedName());
    assertInstanceOf(TypeExpr.OptionalOf.class, resnet.attribute("_is_full_backward_hook").type());

    FunctionDef forward = resnet.method("forward");
    assertEquals(List.of("self", "x"), forward.params().stream().map(FunctionDef.Param::name).toList());
    assertEquals("__torch__.torchvision.models.resnet.ResNet", ((TypeExpr.ClassRef) forward.params().get(0).type()).qualifiedName());
    assertEquals(TypeExpr.Prim.TENSOR, ((TypeExpr.Primitive) forward.returnType()).kind());
    // return (self)._forward_impl(x, )
    Stmt.Return ret = assertInstanceOf(Stmt.Return.class, forward.body().getFirst());
    Expr.Call call = assertInstanceOf(Expr.Call.class, ret.value());
    assertEquals("self._forward_impl", Expr.dottedName(call.func()));

    List<Stmt> body = resnet.method("_forward_impl").body();
    List<String> modules = List.of("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool");
    assertEquals(2 * modules.size() + 3, body.size());
    String previous = "x";
    for (int i = 0; i < modules.size(); i++) {
      // conv1 = self.conv1 ; x0 = (conv1).forward(x, )
      Stmt.Assign fetch = assertInstanceOf(Stmt.Assign.class, body.get(2 * i));
      assertEquals(modules.get(i), ((Expr.Name) fetch.targets().getFirst()).id());
      assertEquals("self." + modules.get(i), Expr.dottedName(fetch.value()));
      Stmt.Assign apply = assertInstanceOf(Stmt.Assign.class, body.get(2 * i + 1));
      Expr.Call fwd = assertInstanceOf(Expr.Call.class, apply.value());
      assertEquals(modules.get(i) + ".forward", Expr.dottedName(fwd.func()));
      assertEquals(previous, ((Expr.Name) fwd.args().getFirst()).id());
      previous = ((Expr.Name) apply.targets().getFirst()).id();
    }
    Expr.Call flatten = (Expr.Call) ((Stmt.Assign) body.get(18)).value();
    assertEquals("torch.flatten", Expr.dottedName(flatten.func()));
    assertEquals(1L, ((Expr.IntLit) flatten.args().get(1)).value());
    assertEquals("fc.forward", Expr.dottedName(((Expr.Call) ((Stmt.Return) body.get(20)).value()).func()));
  }

  @Test
  void batchNormConstantsAreFinalDeclarations() {
    ClassDef bn = Fixtures.parse("archives/resnet18_scripted/__torch__/torch/nn/modules/batchnorm.py").classNamed("BatchNorm2d");
    assertEquals(List.of("weight", "bias"), bn.parameters());
    assertEquals(List.of("running_mean", "running_var", "num_batches_tracked"), bn.buffers());
    ClassMember.AttributeDecl eps = bn.attribute("eps");
    TypeExpr.FinalOf fin = assertInstanceOf(TypeExpr.FinalOf.class, eps.type());
    assertEquals(TypeExpr.Prim.FLOAT, ((TypeExpr.Primitive) fin.element()).kind());
    Expr.FloatLit value = assertInstanceOf(Expr.FloatLit.class, eps.value());
    assertEquals(1.0000000000000001e-05, value.value());
    assertEquals("1.0000000000000001e-05", value.text());
    assertEquals(64L, ((Expr.IntLit) bn.attribute("num_features").value()).value());
    assertEquals(true, ((Expr.BoolLit) bn.attribute("affine").value()).value());
  }

  @Test
  void frozenResnetIsOneForwardOverConstants() {
    ScriptModule m = Fixtures.parseOnly("archives/resnet18_frozen", ".py");
    ClassDef resnet = m.classes().getFirst();
    assertEquals(1, resnet.methods().size());
    List<Expr> exprs = ScriptWalker.expressions(resnet.method("forward").body());
    long convs = exprs.stream().filter(e -> e instanceof Expr.Call c && "torch.conv2d".equals(Expr.dottedName(c.func()))).count();
    assertEquals(20, convs, "resnet18 has 20 convolutions (17 + 3 downsample)");
    assertTrue(exprs.stream().anyMatch(e -> e instanceof Expr.Attribute a && a.value() instanceof Expr.Name n
        && n.id().equals("CONSTANTS") && a.attr().equals("c0")));
  }

  @Test
  void tracedSequentialUsesAnnotationsAndGetattr() {
    List<ClassDef> sequentials = Fixtures.pyFiles("archives/resnet18_traced").stream().map(Fixtures::parse)
        .flatMap(m -> m.classes().stream()).filter(c -> !c.annotations().isEmpty()).toList();
    assertTrue(!sequentials.isEmpty());
    ClassDef seq = sequentials.getFirst();
    assertEquals("0", seq.annotations().getFirst().name());
    assertInstanceOf(TypeExpr.ClassRef.class, seq.annotations().getFirst().type());
    List<Expr> exprs = ScriptWalker.expressions(seq.method("forward").body());
    assertTrue(exprs.stream().anyMatch(e -> e instanceof Expr.Call c && "getattr".equals(Expr.dottedName(c.func()))
        && c.args().get(1) instanceof Expr.StrLit s && s.value().equals("0")));
  }

  @Test
  void scriptedControlFlowKeepsIfAndForOverRange() {
    FunctionDef forward = Fixtures.parse("archives/controlflow_scripted/__torch__.py").classNamed("ControlFlow").method("forward");
    Stmt.If branch = (Stmt.If) forward.body().stream().filter(s -> s instanceof Stmt.If).findFirst().orElseThrow();
    assertEquals("bool", Expr.dottedName(((Expr.Call) branch.test()).func()));
    assertEquals(1, branch.orElse().size());
    Stmt.For loop = (Stmt.For) forward.body().stream().filter(s -> s instanceof Stmt.For).findFirst().orElseThrow();
    assertEquals("i", ((Expr.Name) loop.target()).id());
    Expr.Call range = (Expr.Call) loop.iter();
    assertEquals("range", Expr.dottedName(range.func()));
    assertEquals(7L, ((Expr.IntLit) range.args().getFirst()).value());
    assertEquals(2, loop.body().size());
  }

  @Test
  void lstmUnpacksTuples() {
    List<Stmt.Assign> unpacking = Fixtures.pyFiles("archives/lstm_scripted").stream().map(Fixtures::parse)
        .flatMap(m -> m.classes().stream()).flatMap(c -> c.methods().stream())
        .flatMap(f -> ScriptWalker.statements(f.body()).stream())
        .filter(s -> s instanceof Stmt.Assign a && a.targets().getFirst() instanceof Expr.TupleExpr)
        .map(s -> (Stmt.Assign) s).toList();
    // `_15, _16, _17 = torch.lstm(...)`
    assertTrue(unpacking.stream().anyMatch(a -> ((Expr.TupleExpr) a.targets().getFirst()).elements().size() == 3
        && a.value() instanceof Expr.Call c && "torch.lstm".equals(Expr.dottedName(c.func()))));
  }

  @Test
  void quantizedLinearCallsQuantizedOps() {
    ScriptModule m = Fixtures.parse("archives/mlp_qdynamic_scripted/__torch__/torch/ao/nn/quantized/dynamic/modules/linear.py");
    List<String> called = m.classes().stream().flatMap(c -> c.methods().stream())
        .flatMap(f -> ScriptWalker.expressions(f.body()).stream())
        .filter(e -> e instanceof Expr.Call).map(e -> Expr.dottedName(((Expr.Call) e).func())).toList();
    assertTrue(called.contains("ops.quantized.linear_dynamic"), called.toString());
    assertTrue(called.contains("ops.quantized.linear_dynamic_fp16"), called.toString());
  }

  /** Counts every AST node kind across the corpus; the printed table is the census quoted in reports. */
  @Test
  void corpusCensusCoversThePrintedSubset() {
    Map<String, Integer> counts = new TreeMap<>();
    int files = 0;
    for (Path f : Fixtures.pyFiles("archives")) {
      ScriptModule m = Fixtures.parse(f);
      files++;
      for (ClassDef c : m.classes()) {
        counts.merge("class", 1, Integer::sum);
        for (ClassMember member : c.members()) counts.merge("member." + member.getClass().getSimpleName(), 1, Integer::sum);
        for (FunctionDef fn : c.methods()) census(fn, counts);
      }
      for (FunctionDef fn : m.functions()) {
        counts.merge("function", 1, Integer::sum);
        census(fn, counts);
      }
    }
    System.out.println("parsed " + files + " archive files: " + counts);
    for (String kind : Set.of("stmt.Assign", "stmt.If", "stmt.For", "stmt.Return", "stmt.ExprStmt", "stmt.Pass",
        "expr.Call", "expr.Attribute", "expr.Subscript", "expr.TupleExpr", "expr.ListExpr", "expr.FloatLit",
        "expr.StrLit", "expr.NoneLit", "expr.BoolLit", "member.AnnotationEntry", "member.AttributeDecl", "function")) {
      assertTrue(counts.getOrDefault(kind, 0) > 0, kind + " never seen in " + counts);
    }
  }

  private static void census(FunctionDef fn, Map<String, Integer> counts) {
    counts.merge("method/function body", 1, Integer::sum);
    ScriptWalker.walk(fn.body(), s -> counts.merge("stmt." + s.getClass().getSimpleName(), 1, Integer::sum),
        e -> counts.merge("expr." + e.getClass().getSimpleName(), 1, Integer::sum));
  }
}
