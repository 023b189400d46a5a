package dev.kiln.codegen.llvm.backend;

import java.util.HashSet;
import java.util.Set;

/**
 * What ran since the last barrier, by storage: read or written by all threads (each its share, or each all of it)
 * or by thread 0 alone. A step needs a barrier before it when it reads what another thread may have written, or
 * writes what another thread may have read or written; thread 0 following itself needs none.
 */
final class Hazards {
  private final Set<String> readAll = new HashSet<>(), readTid0 = new HashSet<>(), wroteAll = new HashSet<>(), wroteTid0 = new HashSet<>();

  /** Records a step; returns true when a barrier must come first (the record then starts over from this step). */
  boolean step(ThreadSplit.Access a, boolean tid0Only) {
    boolean hazard = meets(a.reads(), wroteAll) || meets(a.writes(), readAll) || meets(a.writes(), wroteAll)
        || !tid0Only && (meets(a.reads(), wroteTid0) || meets(a.writes(), readTid0) || meets(a.writes(), wroteTid0));
    if (hazard) {
      readAll.clear();
      readTid0.clear();
      wroteAll.clear();
      wroteTid0.clear();
    }
    (tid0Only ? readTid0 : readAll).addAll(a.reads());
    (tid0Only ? wroteTid0 : wroteAll).addAll(a.writes());
    return hazard;
  }

  private static boolean meets(Set<String> x, Set<String> y) {
    for (String s : x) if (y.contains(s)) return true;
    return false;
  }
}
