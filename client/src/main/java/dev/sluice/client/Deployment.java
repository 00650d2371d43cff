package dev.sluice.client;

/** A deploy's answer: {@code created} for a new function (201), false for a replaced one (200). */
public record Deployment(boolean created, FunctionInfo function) {}
