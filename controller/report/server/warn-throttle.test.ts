import { describe, expect, it } from "vitest";
import { WarnThrottle } from "./warn-throttle.js";

type Step = { readonly admit: string } | { readonly at: number };

describe("WarnThrottle", () => {
  const cases: { name: string; maxSubjects?: number; steps: Step[]; answers: (number | undefined)[] }[] = [
    {
      name: "holds back repeats within the interval and counts them in the next line",
      steps: [{ admit: "a" }, { admit: "a" }, { admit: "a" }, { at: 1000 }, { admit: "a" }],
      answers: [0, undefined, undefined, 2],
    },
    {
      name: "keeps subjects apart",
      steps: [{ admit: "a" }, { admit: "b" }, { admit: "a" }, { admit: "b" }],
      answers: [0, 0, undefined, undefined],
    },
    {
      name: "starts counting again after a line is written",
      steps: [{ admit: "a" }, { admit: "a" }, { at: 1000 }, { admit: "a" }, { at: 1999 }, { admit: "a" }],
      answers: [0, undefined, 1, undefined],
    },
    {
      name: "writes again at once when the clock steps back",
      steps: [{ at: 5000 }, { admit: "a" }, { at: 10 }, { admit: "a" }],
      answers: [0, 0],
    },
    {
      name: "forgets the stalest subject beyond its memory",
      maxSubjects: 2,
      steps: [{ admit: "a" }, { admit: "b" }, { admit: "c" }, { admit: "b" }, { admit: "a" }],
      answers: [0, 0, 0, undefined, 0],
    },
  ];
  it.each(cases)("$name", ({ steps, answers, maxSubjects }) => {
    let now = 0;
    const throttle = new WarnThrottle(() => now, {
      intervalMs: 1000,
      ...(maxSubjects ? { maxSubjects } : {}),
    });
    const got: (number | undefined)[] = [];
    for (const step of steps) {
      if ("at" in step) now = step.at;
      else got.push(throttle.admit(step.admit));
    }
    expect(got).toEqual(answers);
  });
});
