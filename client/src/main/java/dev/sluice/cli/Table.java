package dev.sluice.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A plain text table: a header row and rows, columns padded to their widest cell and separated by two spaces, the
 * last column not padded (no trailing blanks). Columns whose header starts with {@code >} are right-aligned (numbers).
 * With {@code bold}, the header is set in bold (only on a terminal). Cells are made printable: a control character
 * from the server (a tenant's text) cannot move the cursor or break a row.
 */
final class Table {
    private final String[] headers;
    private final boolean[] right;
    private final List<String[]> rows = new ArrayList<>();

    private Table(String... headers) {
        this.headers = new String[headers.length];
        this.right = new boolean[headers.length];
        for (int i = 0; i < headers.length; i++) {
            right[i] = headers[i].startsWith(">");
            this.headers[i] = right[i] ? headers[i].substring(1) : headers[i];
        }
    }

    static Table of(String... headers) {
        return new Table(headers);
    }

    Table row(Object... cells) {
        if (cells.length != headers.length) {
            throw new IllegalArgumentException("cells: " + cells.length + " (expected: " + headers.length + ")");
        }
        rows.add(Arrays.stream(cells).map(c -> c == null ? "-" : clean(String.valueOf(c))).toArray(String[]::new));
        return this;
    }

    int size() {
        return rows.size();
    }

    String render(boolean bold) {
        int[] widths = new int[headers.length];
        for (int i = 0; i < headers.length; i++) {
            widths[i] = width(headers[i]);
            for (String[] row : rows) {
                widths[i] = Math.max(widths[i], width(row[i]));
            }
        }
        StringBuilder out = new StringBuilder();
        line(out, headers, widths, bold);
        rows.forEach(row -> line(out, row, widths, false));
        return out.toString();
    }

    private void line(StringBuilder out, String[] cells, int[] widths, boolean bold) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            boolean last = i == cells.length - 1;
            int pad = widths[i] - width(cells[i]);
            if (right[i]) {
                line.append(" ".repeat(pad)).append(cells[i]);
            } else {
                line.append(cells[i]).append(last ? "" : " ".repeat(pad));
            }
            if (!last) {
                line.append("  ");
            }
        }
        String text = line.toString().stripTrailing();
        out.append(bold ? "\u001b[1m" + text + "\u001b[0m" : text).append('\n');
    }

    private static int width(String cell) {
        return cell.codePointCount(0, cell.length());
    }

    static String clean(String text) {
        return text.codePoints().map(c -> Character.isISOControl(c) ? ' ' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }
}
