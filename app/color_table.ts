/**
 * `dtail --colorTable`: every foreground/background/attribute combination, painted
 * (docs/compatibility.md#colors).
 */
import { Paint } from "../core/color.ts";

const COLORS = ["Black", "Red", "Green", "Yellow", "Blue", "Magenta", "Cyan", "White", "Default"];
const ATTRS = ["Bold", "Dim", "Italic", "Underline", "Blink", "RapidBlink", "Reverse", "None"];
const SAMPLE = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor " +
  "incididunt ut labore et dolore magna aliqua.";

export function colorTable(wide: boolean): string {
  const out: string[] = [];
  for (const attr of ATTRS) {
    for (const fg of COLORS) {
      for (const bg of COLORS) {
        if (bg === fg) continue;
        const paint = new Paint({ fg, bg, attr });
        const label = ` Foreground:${fg.padStart(10)}  |  Background:${bg.padStart(10)}  |  ` +
          `Attribute:${attr.padStart(10)} `;
        out.push(paint.paint(label));
        if (wide) out.push(paint.paint(` ${SAMPLE} `), "");
      }
    }
  }
  return out.join("\n") + "\n";
}
