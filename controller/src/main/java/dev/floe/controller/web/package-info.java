/**
 * The controller's web view of the fleet: a small HTTP server on the controller's event loops
 * ({@code WebView}) serving a page and its plain JS, CSS and SVG from the jar, and the fleet as JSON, live
 * over server-sent events, built by {@code FleetBoard} from the fleet view's changes (what {@code Fleet.Watch}
 * streams) and the invoker's placements and answers. Read-only: it needs the cluster token or the
 * read-only web token.
 */
package dev.floe.controller.web;
