package dev.kiln.runtime.exec;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * How {@link FirstCallWarmup}'s runs call a model: through a method handle bound to it, so that every run is a real
 * call of the model's entry method. A warm-up that calls the model directly gets the entry method inlined into the
 * warm-up's own compiled code (it is the only receiver that call site sees), and then the runs exercise that copy
 * while the entry method itself stays cold: a generated model's {@code run} was still interpreted or at the JIT's
 * first tier when the first real call came (that call then ran it interpreted, 2-5x the median and more, and the
 * call after it paid for linking the newly compiled code). The JIT cannot inline through a method handle that is not
 * a constant, so it compiles and links the entry method as any caller's first call will find it.
 */
final class WarmupEntry {
  private WarmupEntry() {}

  /** The public virtual method {@code name(parameter)} of {@code owner}. */
  static MethodHandle method(Class<?> owner, String name, Class<?> parameter) {
    try {
      Class<?> result = owner.getMethod(name, parameter).getReturnType();
      return MethodHandles.publicLookup().findVirtual(owner, name, MethodType.methodType(result, parameter));
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("no public method " + owner.getName() + "." + name + "(" + parameter.getName() + ")", e);
    }
  }

  /** {@code method} (a virtual method of one argument) bound to {@code receiver}, for {@link #call}; varargs taken as an array. */
  static MethodHandle bind(MethodHandle method, Object receiver) { return method.asFixedArity().bindTo(receiver); }

  /** Calls a handle from {@link #bind} on {@code argument}; what it throws is rethrown as it is (checked: wrapped). */
  static Object call(MethodHandle bound, Object argument) {
    try {
      return bound.invoke(argument);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }
}
