package dev.floe.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.floe.client.cli.Cli;
import dev.floe.launcher.BuildInfo;
import dev.floe.testing.TestDirs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The deploy kits of the distribution as a user takes them: the installer puts the release, the systemd
 * units and their settings in place, and the units pass {@code systemd-analyze verify}; the Kubernetes
 * manifests parse and every name they reference exists; the container recipe adds the archive the build
 * makes. Every command line they run is one floe accepts.
 */
class DistKitIT {
    private static final Path IMAGE = Path.of("target/floe").toAbsolutePath();
    private static final Path KUBERNETES = IMAGE.resolve("deploy/kubernetes");

    @Test
    void theInstallerPutsTheUnitsInPlaceAndTheyPassSystemdAnalyzeVerify() throws Exception {
        Path root = TestDirs.create("install");
        try {
            Path prefix = root.resolve("opt/floe");
            Path etc = root.resolve("etc/floe");
            Path units = root.resolve("units");
            for (String role : List.of("controller", "worker")) {
                Run install = run(List.of(IMAGE.resolve("deploy/install.sh").toString(), "--role", role, "--prefix", prefix.toString(),
                        "--etc", etc.toString(), "--units", units.toString(), "--no-start"), Map.of());
                assertEquals(0, install.status(), install.output());
                assertTrue(install.output().contains("installed in " + prefix), install.output());
            }
            assertTrue(Files.isExecutable(prefix.resolve("bin/floe")), "the release is under the prefix");
            assertTrue(Files.isDirectory(prefix.resolve("lib")));

            // Settings are the operator's: a second install keeps them.
            Files.writeString(etc.resolve("worker.env"), "FLOE_WORKER_ARGS=--controller 10.0.0.1:7070\n");
            Run again = run(List.of(prefix.resolve("deploy/install.sh").toString(), "--role", "worker", "--prefix", prefix.toString(),
                    "--etc", etc.toString(), "--units", units.toString(), "--no-start"), Map.of());
            assertEquals(0, again.status(), again.output());
            assertEquals("FLOE_WORKER_ARGS=--controller 10.0.0.1:7070\n", Files.readString(etc.resolve("worker.env")));

            Run verify = run(List.of("systemd-analyze", "verify", units.resolve("floe-controller.service").toString(),
                    units.resolve("floe-worker.service").toString()), Map.of());
            assertEquals(0, verify.status(), verify.output());
            assertFalse(verify.output().contains("floe-"), "no complaint about Floe's units: " + verify.output());

            for (String role : List.of("controller", "worker")) {
                String unit = Files.readString(units.resolve("floe-" + role + ".service"));
                assertTrue(unit.contains("ExecStart=" + prefix.resolve("bin/floe") + " " + role + " "), unit);
                assertTrue(unit.contains("EnvironmentFile=" + etc.resolve(role + ".env")), unit);
                // The command line the unit runs, with the shipped settings, is one floe accepts.
                String shipped = Files.readString(IMAGE.resolve("deploy/systemd/" + role + ".env"));
                String args = value(shipped, "FLOE_" + role.toUpperCase() + "_ARGS");
                String exec = line(unit, "ExecStart=").substring(("ExecStart=" + prefix.resolve("bin/floe") + " ").length())
                        .replace("$FLOE_" + role.toUpperCase() + "_ARGS", args.replace("CONTROLLER_HOST", "ctl.example.org"));
                assertAccepted(exec.split(" +"));
            }
            assertTrue(Files.readString(units.resolve("floe-worker.service")).contains("Delegate=yes"));
            assertTrue(Files.readString(units.resolve("floe-controller.service")).contains("User=floe"));
        } finally {
            TestDirs.delete(root);
        }
    }

    @Test
    void theKubernetesManifestsParseAndEveryNameTheyReferenceExists() throws IOException {
        Map<String, Object> kustomization = yaml(KUBERNETES.resolve("kustomization.yaml")).getFirst();
        List<Map<String, Object>> objects = new ArrayList<>();
        for (Object resource : list(kustomization.get("resources"))) {
            Path file = KUBERNETES.resolve((String) resource);
            assertTrue(Files.exists(file), "kustomization.yaml names " + resource);
            objects.addAll(yaml(file));
        }
        // The image tag is this build's version, the one deploy/container tags the image with.
        Map<String, Object> image = map(list(kustomization.get("images")).getFirst());
        assertEquals("floe", image.get("name"));
        assertEquals(BuildInfo.version(), image.get("newTag"));

        Set<String> secrets = secretsTheReadmeCreates();
        List<Map<String, Object>> workloads = objects.stream().filter(o -> Set.of("StatefulSet", "DaemonSet").contains(o.get("kind"))).toList();
        assertEquals(Set.of("StatefulSet", "DaemonSet"), Set.copyOf(workloads.stream().map(o -> (String) o.get("kind")).toList()));
        for (Map<String, Object> object : objects) {
            assertTrue(object.containsKey("apiVersion") && object.containsKey("kind"), object.toString());
            assertTrue(map(object.get("metadata")).containsKey("name"), object.toString());
        }
        for (Map<String, Object> workload : workloads) {
            String name = (String) map(workload.get("metadata")).get("name");
            Map<String, Object> spec = map(workload.get("spec"));
            Map<String, Object> template = map(spec.get("template"));
            Map<String, Object> labels = map(map(template.get("metadata")).get("labels"));
            assertTrue(labels.entrySet().containsAll(map(map(spec.get("selector")).get("matchLabels")).entrySet()), name + ": selector");
            Map<String, Object> podSpec = map(template.get("spec"));
            Set<String> volumes = new HashSet<>();
            for (Object v : list(podSpec.get("volumes"))) {
                Map<String, Object> volume = map(v);
                volumes.add((String) volume.get("name"));
                if (volume.containsKey("secret")) {
                    String secret = (String) map(volume.get("secret")).get("secretName");
                    assertTrue(secrets.contains(secret), name + " mounts secret " + secret + ", which README.md does not create: " + secrets);
                }
            }
            for (Object claim : list(spec.get("volumeClaimTemplates"))) {
                volumes.add((String) map(map(claim).get("metadata")).get("name"));
            }
            List<Object> containers = new ArrayList<>(list(podSpec.get("containers")));
            containers.addAll(list(podSpec.get("initContainers")));
            for (Object c : containers) {
                Map<String, Object> container = map(c);
                assertEquals("floe", container.get("image"), name + ": the image kustomization.yaml sets");
                Set<String> ports = new HashSet<>();
                for (Object p : list(container.get("ports"))) {
                    ports.add((String) map(p).get("name"));
                }
                for (Object m : list(container.get("volumeMounts"))) {
                    assertTrue(volumes.contains((String) map(m).get("name")), name + " mounts " + map(m).get("name"));
                }
                for (String probe : List.of("readinessProbe", "livenessProbe")) {
                    if (container.containsKey(probe)) {
                        Map<String, Object> get = map(map(container.get(probe)).get("httpGet"));
                        assertEquals("/healthz", get.get("path"));
                        assertTrue(ports.contains((String) get.get("port")), name + " probes port " + get.get("port"));
                    }
                }
                Set<String> env = new HashSet<>();
                for (Object e : list(container.get("env"))) {
                    env.add((String) map(e).get("name"));
                }
                List<String> args = new ArrayList<>();
                for (Object a : list(container.get("args"))) {
                    String arg = String.valueOf(a);
                    Matcher variable = Pattern.compile("\\$\\((\\w+)\\)").matcher(arg);
                    while (variable.find()) {
                        assertTrue(env.contains(variable.group(1)), name + " uses $(" + variable.group(1) + ") without defining it");
                    }
                    args.add(arg.replace("$(NODE_NAME)", "node-1").replace("$(POD_IP)", "10.1.2.3"));
                }
                assertAccepted(args.toArray(String[]::new));
            }
        }
        for (Map<String, Object> service : objects.stream().filter(o -> "Service".equals(o.get("kind"))).toList()) {
            Map<String, Object> selector = map(map(service.get("spec")).get("selector"));
            Map<String, Object> target = workloads.stream().map(w -> map(map(map(w.get("spec")).get("template")).get("metadata")))
                    .filter(m -> map(m.get("labels")).entrySet().containsAll(selector.entrySet())).findFirst().orElseThrow(
                            () -> new AssertionError("service " + map(service.get("metadata")).get("name") + " selects no workload"));
            assertEquals("true", map(target.get("annotations")).get("prometheus.io/scrape"));
        }
    }

    @Test
    void theContainerRecipeAddsTheArchiveTheBuildMakesAndRunsItsLauncher() throws IOException {
        String dockerfile = Files.readString(IMAGE.resolve("deploy/container/Dockerfile"));
        Matcher add = Pattern.compile("(?m)^ADD (\\S+) /opt/$").matcher(dockerfile);
        assertTrue(add.find(), dockerfile);
        String archive = add.group(1).replace("${VERSION}", BuildInfo.version());
        assertTrue(Files.exists(Path.of("target").resolve(archive)), "the build makes " + archive);
        assertTrue(dockerfile.contains("ENTRYPOINT [\"/opt/floe/bin/floe\"]"), dockerfile);
        assertTrue(dockerfile.contains("ln -s /opt/floe-${VERSION} /opt/floe"), "the archive's top directory is floe-VERSION");
        assertTrue(Files.isExecutable(IMAGE.resolve("bin/floe")));
        String readme = Files.readString(IMAGE.resolve("deploy/container/README.md"));
        assertTrue(readme.contains("-t floe:" + BuildInfo.version()), "the tag the manifests use: " + readme);
    }

    /** The names of {@code kubectl create secret generic NAME} in deploy/kubernetes/README.md. */
    private static Set<String> secretsTheReadmeCreates() throws IOException {
        Matcher created = Pattern.compile("kubectl -n floe create secret generic (\\S+)").matcher(Files.readString(KUBERNETES.resolve("README.md")));
        Set<String> names = new HashSet<>();
        while (created.find()) {
            names.add(created.group(1));
        }
        return names;
    }

    private static void assertAccepted(String... argv) {
        try {
            new Cli(System.out, System.err, Map.of()).parse(argv);
        } catch (RuntimeException e) {
            throw new AssertionError("floe " + String.join(" ", argv) + ": " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> yaml(Path file) throws IOException {
        List<Map<String, Object>> documents = new ArrayList<>();
        for (Object document : new Yaml(new LoaderOptions()).loadAll(Files.readString(file))) {
            documents.add((Map<String, Object>) document);
        }
        return documents;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return value == null ? Map.of() : (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        return value == null ? List.of() : (List<Object>) value;
    }

    private static String line(String text, String prefix) {
        return text.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError("no " + prefix + " in " + text));
    }

    private static String value(String envFile, String name) {
        return line(envFile, name + "=").substring(name.length() + 1);
    }

    record Run(int status, String output) {}

    static Run run(List<String> command, Map<String, String> env) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process = builder.start();
        byte[] out = process.getInputStream().readAllBytes();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in 120 s");
        }
        return new Run(process.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
