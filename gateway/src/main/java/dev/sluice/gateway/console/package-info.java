/**
 * The admin console's HTTP edge: {@link dev.sluice.gateway.console.ConsoleService} serves the static files under
 * {@code admin-ui/} in the jar at {@code /admin/ui/} with the console's Content-Security-Policy. The console itself
 * (plain ES modules and the vendored uPlot) calls the admin API with the token the user typed; nothing here reads or
 * checks a credential. See docs/console.md.
 */
package dev.sluice.gateway.console;
