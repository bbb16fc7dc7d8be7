package dev.floe.bench.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Runs one {@link LoadPlan} against one {@link LoadTarget}. Every invocation has an intended send time:
 * in a closed loop, when its caller got the last answer; in an open loop, its slot in the fixed
 * schedule, so an invocation sent late because the target is slow counts the wait it caused
 * (Tene, "How NOT to Measure Latency": no coordinated omission). Only invocations whose intended
 * time falls after the warm-up are counted.
 */
public final class Load {
    /** The most invocations an open loop keeps in flight; beyond it an arrival is counted as not sent. */
    static final int MAX_IN_FLIGHT = 100_000;
    /** How long the end waits for invocations still in flight. */
    static final Duration DRAIN = Duration.ofSeconds(130);

    /** Once a second: what the last second did. */
    public record Progress(double elapsedS, boolean warmingUp, double perSecond, double p99Ms, long errors, long inFlight) {}

    private final LoadPlan plan;
    private final LoadTarget target;
    private final Zipf zipf;
    private final Recorder recorder = new Recorder(3);
    private final Histogram total = new Histogram(3);
    private final LongAdder ran = new LongAdder();
    private final LongAdder cold = new LongAdder();
    private final AtomicLong inFlight = new AtomicLong();
    private final LongAdder errorCount = new LongAdder();
    /** Every answer, warm-up included: for the progress line. */
    private final LongAdder answers = new LongAdder();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> functionErrors = new ConcurrentHashMap<>();
    /** The first message of each type of refusal. */
    private final Map<String, String> examples = new ConcurrentHashMap<>();
    private volatile long lastAnswer;
    private long measureFrom;

    private Load(LoadPlan plan, LoadTarget target) {
        this.plan = plan;
        this.target = target;
        this.zipf = new Zipf(plan.functions().size(), plan.zipf());
    }

    /** Runs the plan; {@code progress} hears once a second from another thread. */
    public static LoadReport run(LoadPlan plan, LoadTarget target, Consumer<Progress> progress) throws InterruptedException {
        return new Load(plan, target).run(progress);
    }

    private LoadReport run(Consumer<Progress> progress) throws InterruptedException {
        long start = System.nanoTime();
        measureFrom = start + plan.warmup().toNanos();
        long end = measureFrom + plan.duration().toNanos();
        lastAnswer = measureFrom;
        Thread ticker = Thread.ofPlatform().name("floe-load-progress").daemon().start(() -> tick(start, progress));
        try {
            if (plan.openLoop()) {
                openLoop(start, end);
            } else {
                closedLoop(end);
            }
        } finally {
            ticker.interrupt();
            ticker.join();
        }
        synchronized (total) {
            total.add(recorder.getIntervalHistogram());
        }
        long left = inFlight.get();
        if (left > 0) {
            count(errors, "NoAnswerBeforeTheLoadEnded", left);
        }
        double seconds = Math.max(lastAnswer - measureFrom, plan.duration().toNanos()) / 1e9;
        return new LoadReport(plan, target.name(), seconds, ran.sum(), total.copy(),
                target.name().equals("grpc") ? cold.sum() : null, sums(functionErrors), sums(errors), Map.copyOf(examples));
    }

    private void closedLoop(long end) throws InterruptedException {
        List<Thread> callers = new ArrayList<>();
        for (int i = 0; i < plan.callers(); i++) {
            callers.add(Thread.ofVirtual().name("floe-load-caller-" + i).start(() -> {
                for (long sent = System.nanoTime(); sent < end; sent = System.nanoTime()) {
                    inFlight.incrementAndGet();
                    LoadTarget.Outcome outcome = send().join();
                    answered(sent, outcome);
                }
            }));
        }
        long deadline = System.nanoTime() + DRAIN.toNanos() + (end - System.nanoTime());
        for (Thread caller : callers) {
            caller.join(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
        }
    }

    private void openLoop(long start, long end) throws InterruptedException {
        double periodNanos = 1e9 / plan.rate();
        for (long i = 0; ; i++) {
            long intended = start + (long) (i * periodNanos);
            if (intended >= end) {
                break;
            }
            for (long wait = intended - System.nanoTime(); wait > 0; wait = intended - System.nanoTime()) {
                LockSupport.parkNanos(wait);
            }
            if (inFlight.get() >= MAX_IN_FLIGHT) {
                if (intended >= measureFrom) {
                    count(errors, "NotSentTooManyInFlight", 1);
                    errorCount.increment();
                }
                continue;
            }
            inFlight.incrementAndGet();
            send().thenAccept(outcome -> answered(intended, outcome));
        }
        long deadline = System.nanoTime() + DRAIN.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(5);
        }
    }

    private java.util.concurrent.CompletableFuture<LoadTarget.Outcome> send() {
        String function = plan.functions().get(zipf.next());
        List<byte[]> payloads = plan.payloads();
        byte[] payload = payloads.size() == 1 ? payloads.getFirst() : payloads.get(ThreadLocalRandom.current().nextInt(payloads.size()));
        return target.invoke(function, payload);
    }

    private void answered(long intended, LoadTarget.Outcome outcome) {
        long now = System.nanoTime();
        if (intended >= measureFrom) {
            if (outcome.error() != null) {
                count(errors, outcome.error(), 1);
                if (outcome.message() != null) {
                    examples.putIfAbsent(outcome.error(), outcome.message());
                }
                errorCount.increment();
            } else {
                recorder.recordValue(Math.max(0, now - intended));
                ran.increment();
                if (Boolean.TRUE.equals(outcome.cold())) {
                    cold.increment();
                }
                if (outcome.functionError() != null) {
                    count(functionErrors, outcome.functionError(), 1);
                }
            }
            if (now > lastAnswer) {
                lastAnswer = now;
            }
        }
        answers.increment();
        inFlight.decrementAndGet();
    }

    private void tick(long start, Consumer<Progress> progress) {
        Histogram interval = null;
        long last = System.nanoTime();
        long lastErrors = 0;
        long lastAnswers = 0;
        while (true) {
            try {
                TimeUnit.SECONDS.sleep(1);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            interval = recorder.getIntervalHistogram(interval);
            synchronized (total) {
                total.add(interval);
            }
            long errorsNow = errorCount.sum();
            long answersNow = answers.sum();
            double seconds = (now - last) / 1e9;
            progress.accept(new Progress((now - start) / 1e9, now < measureFrom, (answersNow - lastAnswers) / seconds,
                    interval.getTotalCount() == 0 ? Double.NaN : interval.getValueAtPercentile(99) / 1e6, errorsNow - lastErrors,
                    inFlight.get()));
            last = now;
            lastErrors = errorsNow;
            lastAnswers = answersNow;
        }
    }

    private static void count(Map<String, LongAdder> counts, String key, long n) {
        counts.computeIfAbsent(key, k -> new LongAdder()).add(n);
    }

    private static Map<String, Long> sums(Map<String, LongAdder> counts) {
        Map<String, Long> sums = new HashMap<>();
        counts.forEach((k, v) -> sums.put(k, v.sum()));
        return sums;
    }
}
