/**
 * Provisioned concurrency: how many initialized environments each function keeps, spread across
 * workers ({@link dev.floe.controller.provision.ProvisionPlan}, pure), and the reconciler that tells
 * each worker its share and moves shares when workers come and go
 * ({@link dev.floe.controller.provision.Provisioner}).
 */
package dev.floe.controller.provision;
