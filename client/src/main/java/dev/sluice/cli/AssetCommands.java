package dev.sluice.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.sluice.cli.Cli.Context;
import dev.sluice.client.AssetsInfo;
import dev.sluice.client.AssetsPlacement;
import dev.sluice.client.UploadProgress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** A function's files (API key): {@code assets show|put|delete}. */
final class AssetCommands {
    private AssetCommands() {}

    static int assets(Args args, Context context) {
        String action = args.positional(0, "an action: show, put or delete");
        return switch (action) {
            case "show" -> {
                args.atMost(2);
                show(context.tenant().assets(args.positional(1, "NAME (the function's name)")), context);
                yield Exit.OK;
            }
            case "put" -> {
                args.atMost(3);
                String name = args.positional(1, "NAME (the function's name)");
                Path source = Path.of(args.positional(2, "SOURCE (a directory, or a .tar file)"));
                if (!Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(source)) {
                    throw new UsageError("assets", "no directory or file " + Args.printable(source.toString()));
                }
                AssetsPlacement placement = new AssetsPlacement(args.value("--path"), args.flag("--writable"));
                Console console = context.console;
                UploadProgress progress = args.flag("--progress") ? new UploadMeter(console, console.errTerminal)
                        : UploadProgress.NONE;
                AssetsInfo assets;
                try {
                    assets = context.tenant().putAssets(name, source, placement, progress);
                } catch (IllegalArgumentException e) {
                    throw new UsageError("assets", Args.printable(e.getMessage()));
                }
                show(assets, context);
                yield Exit.OK;
            }
            case "delete" -> {
                args.atMost(2);
                String name = args.positional(1, "NAME (the function's name)");
                context.tenant().deleteAssets(name);
                if (context.json) {
                    context.console.out.println(JsonNodeFactory.instance.objectNode().put("deleted", name)
                            .put("kind", "assets"));
                } else {
                    context.console.out.println("deleted the assets of " + Table.clean(name));
                }
                yield Exit.OK;
            }
            default -> throw new UsageError("assets", "unknown action " + Args.printable(action));
        };
    }

    private static void show(AssetsInfo assets, Context context) {
        if (context.json) {
            context.console.out.println(assets.json());
            return;
        }
        Table table = Table.of("FIELD", "VALUE");
        table.row("digest", assets.digest()).row("files", assets.files())
                .row("bytes", assets.bytes() + " (" + Units.bytes(assets.bytes()) + ")")
                .row("path", assets.path())
                .row("writable", assets.writable() ? "yes (each invocation gets its own copy)" : "no");
        context.console.print(table);
    }
}
