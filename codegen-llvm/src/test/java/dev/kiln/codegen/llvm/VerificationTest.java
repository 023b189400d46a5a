package dev.kiln.codegen.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Broken IR is caught by LLVM's verifier (or parser) and the message reaches the exception. */
@Tag("llvm")
class VerificationTest {
  @Test
  void missingTerminatorIsReportedWithModuleAndFunction() {
    try (LlvmModule m = new LlvmModule("broken_mod"); IrBuilder b = new IrBuilder(m)) {
      b.enter(m.addFunction("no_ret", m.fnType(m.voidType())));
      LlvmException e = assertThrows(LlvmException.class, m::verify);
      assertTrue(e.getMessage().contains("broken_mod"), e.getMessage());
      assertTrue(e.getMessage().contains("does not have terminator"), e.getMessage());
      assertTrue(e.getMessage().contains("no_ret"), e.getMessage());
    }
  }

  @Test
  void wrongReturnTypeIsReported() {
    try (LlvmModule m = new LlvmModule("types"); IrBuilder b = new IrBuilder(m)) {
      b.enter(m.addFunction("f", m.fnType(m.i64())));
      b.ret(b.f32(1f));
      LlvmException e = assertThrows(LlvmException.class, m::verify);
      assertTrue(e.getMessage().contains("return type does not match"), e.getMessage());
    }
  }

  @Test
  void jitRefusesUnverifiedModules() {
    try (LlvmJit jit = new LlvmJit(TargetSpec.host()); LlvmModule m = new LlvmModule("jit_broken");
         IrBuilder b = new IrBuilder(m)) {
      b.enter(m.addFunction("g", m.fnType(m.voidType())));
      LlvmException e = assertThrows(LlvmException.class, () -> jit.add(m));
      assertTrue(e.getMessage().contains("jit_broken"), e.getMessage());
    }
  }

  @Test
  void parseErrorsNameTheSourceAndLine() {
    LlvmException e = assertThrows(LlvmException.class,
        () -> LlvmModule.parse("define i32 @f() {\n  ret i32 %nope\n}\n", "bad.ll").close());
    assertTrue(e.getMessage().startsWith("bad.ll"), e.getMessage());
    assertTrue(e.getMessage().contains("2:"), "no line number: " + e.getMessage());
  }

  @Test
  void parsedIrRunsInTheJitAndUnknownSymbolsFail() throws Throwable {
    try (LlvmJit jit = new LlvmJit(TargetSpec.host());
         LlvmModule m = LlvmModule.parse("define i64 @twice(i64 %x) {\n  %y = shl i64 %x, 1\n  ret i64 %y\n}\n", "ok.ll")) {
      jit.add(m);
      var h = jit.function("twice", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
      assertEquals(42L, (long) h.invokeExact(21L));
      LlvmException e = assertThrows(LlvmException.class, () -> jit.lookup("thrice"));
      assertTrue(e.getMessage().contains("thrice"), e.getMessage());
    }
  }
}
