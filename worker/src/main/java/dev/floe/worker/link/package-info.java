/**
 * The worker's side of its link with the controller: one long-lived bidirectional stream on which it
 * registers, sends heartbeats and reports every environment's state change as it happens, and
 * receives commands; plus fetching code packages. The link reconnects with backoff and re-reports
 * everything, so a restarted controller rebuilds its view of this worker.
 */
package dev.floe.worker.link;
