"""The last cell of every assignment: what is still blank, and how to hand the notebook in.

Colab has no nbgrader "Validate" button, so this does the part of it a student needs most: it names
each exercise that is missing (renamed, or its cell never run) or still raises the blank's
NotImplementedError. It only reads the notebook's names; it runs nothing and grades nothing.
"""
import inspect

HOW_TO_HAND_IN = (
    "To hand in: restart the kernel and run every cell (Colab: Runtime > Restart session and run all),\n"
    "check that the visible checks pass, then download the notebook (File > Download > Download .ipynb)\n"
    "and upload that file. Its name does not matter."
)


def _functions(obj):
    """The functions whose code the student wrote: the object itself, or a class's own methods."""
    if inspect.isclass(obj):
        members = [inspect.unwrap(m.fget if isinstance(m, property) else getattr(m, "__func__", m))
                   for m in vars(obj).values()]
        return [m for m in members if inspect.isfunction(m)]
    return [inspect.unwrap(obj)] if inspect.isfunction(inspect.unwrap(obj)) else []


def still_blank(obj) -> bool:
    """True if the function (or a method of the class) still raises the release's NotImplementedError."""
    return any("NotImplementedError" in f.__code__.co_names for f in _functions(obj))


def hand_in_checklist(namespace: dict, exercises: list[str]) -> list[str]:
    """Print which of ``exercises`` are done; return the names that are missing or still blank."""
    missing = [name for name in exercises if name not in namespace]
    blank = [name for name in exercises if name in namespace and still_blank(namespace[name])]
    done = len(exercises) - len(missing) - len(blank)
    print(f"{done} of {len(exercises)} exercises filled in.")
    for name in missing:
        print(f"  {name}: not defined. Run its cell; if you renamed it, use this name again "
              "(the grader calls it by name).")
    for name in blank:
        print(f"  {name}: still raises NotImplementedError. Replace that line with your code.")
    print(HOW_TO_HAND_IN)
    return missing + blank
