package dev.floe.controller.lambdaapi;

/** Lambda's list paging: {@code MaxItems} (1..10000, default 50) items after {@code Marker}. */
final class Paging {
    static final int DEFAULT_MAX_ITEMS = 50;

    private Paging() {}

    static int maxItems(LambdaRequest request) {
        String maxItems = request.query("MaxItems");
        if (maxItems == null) {
            return DEFAULT_MAX_ITEMS;
        }
        int max;
        try {
            max = Integer.parseInt(maxItems);
        } catch (NumberFormatException e) {
            max = -1;
        }
        if (max < 1 || max > 10_000) {
            throw ApiError.invalid("MaxItems: \"" + maxItems + "\" (expected: 1..10000)").toException();
        }
        return max;
    }
}
