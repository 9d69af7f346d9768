"""The wizard's App (WizardApp) and its factories. The review and the teaching screen have
Apps of their own (review_app, layout_app); the CLI reaches all three through `wizard.tui`."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from wizard.spec import ClusterSpec, SpecError, load_spec, save_spec
from wizard.tui.app_base import CRASH_EXIT, AppBase
from wizard.tui.paths import display_path, elide_middle
from wizard.tui.screens.addresses import AddressesScreen
from wizard.tui.screens.step import StepScreen
from wizard.tui.state import STEP_TITLES, WizardState, step_of_path

if TYPE_CHECKING:  # the review loads with step 5 or the review screen, not at start-up
    from wizard.tui.dialogs.confirm import QuitChoice
    from wizard.tui.dialogs.help import KeySection


def _step_factory(step: int) -> StepScreen:
    """A new screen for a step; steps 2-5 are imported when first needed (a faster start)."""
    if step == 1:
        return AddressesScreen()
    if step == 2:
        from wizard.tui.screens.identity import IdentityScreen

        return IdentityScreen()
    if step == 3:
        from wizard.tui.screens.preview import PreviewScreen

        return PreviewScreen()
    if step == 4:
        from wizard.tui.screens.generate import GenerateScreen

        return GenerateScreen()
    from wizard.tui.screens.inspect import InspectScreen

    return InspectScreen()


NOTICE_PATH_WIDTH = 36
"""The widest a path gets in a notice: the toast then stays on two lines at 80 columns."""
HELP_KEY_NOTE = "Help (? only outside a text field: in one it types ?)"
"""How the help keys are described: F1 anywhere, ? wherever it is not typed as text."""


class WizardApp(AppBase[None]):
    """Five steps from a cluster's addresses to a checked certificate set."""

    TITLE = "k8s-cert-wizard"
    CSS_PATH = "wizard.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help"),
        # A text field takes `?` as a character, so there it types `?` and help stays shut.
        Binding("question_mark", "help", "Help", show=False, tooltip=HELP_KEY_NOTE),
        Binding("ctrl+n", "next", "Next", priority=True),
        Binding("ctrl+b", "back", "Back", priority=True),
        # Esc goes back a step as in the review and Learn the layout; over a dialog, a run
        # (step 4 cancels it) or an open list it closes that instead.
        Binding(
            "escape",
            "escape_back",
            "Back",
            show=False,
            tooltip="Back a step, as ctrl+b (an open dialog, list or run takes Esc first)",
        ),
        Binding("ctrl+s", "save", "Save"),
        # Load gives its footer place to Layout and Review (80 columns); help and palette list it.
        Binding("ctrl+o", "load", "Load", show=False),
        Binding(
            "ctrl+l",
            "learn_layout",
            "Layout",
            tooltip="Learn the layout of a set: who uses which file, and why",
        ),
        Binding(
            "f2",
            "review_directory",
            "Review",
            tooltip="Review a directory against the wizard's current answers: what each file "
            "is, what expires, what differs from the answers",
        ),
        Binding(
            "f3",
            "hosts",
            "Hosts",
            show=False,
            tooltip="Hosts: each host's plan; check it over SSH, probe what it serves, distribute",
        ),  # fmt: skip
        Binding(
            "f4",
            "rotate",
            "Rotate",
            show=False,
            tooltip="Rotate a CA of the set: prepare, reissue, finalize",
        ),  # fmt: skip
        AppBase.THEME_BINDING,
    ]

    def __init__(self, state: WizardState) -> None:
        super().__init__()
        self.state = state
        self._steps: dict[int, StepScreen] = {}
        # No garbage collection while a step is built and first drawn: start-up makes thousands
        # of objects that live as long as the app, and scanning them (a full collection among
        # them) took a fifth of the time to the first frame; a step shown for the first time
        # makes hundreds more. Collection resumes once it is drawn (over a frozen heap after
        # start-up).
        self._collect_later = gc.isenabled()
        self._collection_paused = False
        self._pause_collection()
        # before the App's own screen brings Screen's and Widget's: each is then parsed once
        self.add_default_css((AddressesScreen, *AddressesScreen.MOUNTS))

    def _pause_collection(self) -> None:
        """No garbage collection until the screen is next drawn (see `__init__`)."""
        if not self._collection_paused:
            self._collection_paused = True
            self._collect_later = gc.isenabled()
            gc.disable()

    def _resume_collection(self, freeze: bool = False) -> None:
        if self._collection_paused:
            self._collection_paused = False
            if freeze:  # start-up's objects live as long as the app: spare them every full scan
                gc.freeze()
            if self._collect_later:
                gc.enable()

    def unsaved_answers(self) -> tuple[ClusterSpec, Path | None] | None:
        """The answers, when they differ from the cluster file (kept aside after a crash)."""
        return (self.state.spec, self.state.spec_path) if self.state.dirty else None

    # --- steps ---

    async def on_mount(self) -> None:
        """Open straight on step 1; collect garbage again once it is drawn."""
        await self.push_screen(self.step_screen(1))
        self.call_after_refresh(self._resume_collection, freeze=True)

    @property
    def current_step(self) -> int:
        """The step on screen (the one under a dialog, if a dialog is open)."""
        for screen in reversed(self.screen_stack):
            if isinstance(screen, StepScreen):
                return screen.STEP
        return 1

    def step_screen(self, step: int) -> StepScreen:
        """The screen of a step, made and installed (so it is kept, with its values) when first
        asked for."""
        if step not in self._steps:
            screen = _step_factory(step)
            self.add_default_css((type(screen), *screen.MOUNTS))
            self.prime_breakpoints(screen)
            self.install_screen(screen, f"step-{step}")
            self._steps[step] = screen
        return self._steps[step]

    def made_step_screens(self) -> list[StepScreen]:
        """The step screens made so far."""
        return list(self._steps.values())

    @property
    def generating(self) -> bool:
        """True while step 4 runs a generation."""
        screen = self._steps.get(4)
        return screen is not None and screen.running

    def _blocked_leaving(self, step: int) -> bool:
        """True when this step cannot be left forward: errors, a running generation, or (step 3)
        a preview not seen for the current answers."""
        if step == 4 and self.generating:
            return True
        errors = self.state.blocking(step)
        if errors:
            return True
        return step == 3 and not self.state.preview_is_current

    async def goto(self, step: int) -> None:
        """Go to a step; going forward stops at the first step that is not finished."""
        current = self.current_step
        if step == current or not 1 <= step <= len(STEP_TITLES):
            return
        if current == 4 and self.generating:
            self.step_screen(4).set_status("⚠ a run is going — Esc cancels it")
            return
        target = step
        for leaving in range(current, step):
            if self._blocked_leaving(leaving):
                target = leaving
                break
        if target != current:
            first_showing = target not in self._steps
            if first_showing:
                self._pause_collection()
            await self.switch_screen(self.step_screen(target))
            if first_showing:
                self.call_after_refresh(self._resume_collection)
        if target != step:
            self._explain_block(target)

    def _explain_block(self, step: int) -> None:
        screen = self.step_screen(step)
        errors = self.state.blocking(step)
        if errors:
            screen.show_blocked(errors)
        elif step == 3:
            screen.set_status("Look over the files, then ctrl+n")

    async def action_next(self) -> None:
        """Next step (ctrl+n)."""
        if not isinstance(self.screen, StepScreen):
            return
        await self.goto(self.current_step + 1)

    async def action_back(self) -> None:
        """Previous step (ctrl+b); every answer is kept."""
        if not isinstance(self.screen, StepScreen):
            return
        await self.goto(self.current_step - 1)

    async def action_escape_back(self) -> None:
        """Esc: the previous step, when nothing runs and no dialog is open."""
        if isinstance(self.screen, StepScreen) and not self.generating:
            await self.goto(self.current_step - 1)

    def step_done(self, step: int) -> bool:
        """True when a step is finished: its answers have no error (1, 2), the preview was
        seen for them (3), a set was written in this session (4), or (5) never."""
        if step in (1, 2):
            return not self.state.blocking(step)
        if step == 3:
            return self.state.preview_is_current
        if step == 4:
            return self.state.result is not None
        return False

    async def action_goto(self, step: int) -> None:
        """Go to a step by number."""
        await self.goto(step)

    # --- the cluster file ---

    def action_save(self) -> None:
        """Save the answers to the cluster file (asks for a name the first time)."""
        if self.state.spec_path is not None:
            error = self._save_to(self.state.spec_path)
            if error:
                self.notify(error, title="Not saved", severity="error")
            return
        self.action_save_as()

    def action_save_as(self, then_quit: bool = False) -> None:
        """Save the answers under a new name (and quit once saved, from the quit dialog)."""
        from wizard.tui.dialogs.path import PathDialog

        initial = str(self.state.spec_path or "cluster.toml")

        def saved(path: Path | None) -> None:
            if then_quit and path is not None:
                self.exit()

        self.push_screen(
            PathDialog(
                "Save the answers as cluster.toml" + (", then quit" if then_quit else ""),
                initial,
                self._save_to,
                ok="Save and quit" if then_quit else "Save",
                ask_to_replace=True,
                own_file=self.state.spec_path,
            ),
            callback=saved,
        )

    def _save_to(self, path: Path) -> str | None:
        try:
            save_spec(self.state.spec, path)
        except OSError as error:
            return f"cannot write {path}: {error.strerror or error}"
        self.state.mark_saved(path)
        self._refresh_file_labels()
        errors = sum(1 for p in self.state.problems() if p.severity == "error")
        left = f" ({errors} error{'s' if errors != 1 else ''} still to fix)" if errors else ""
        # The path elided in the middle: a long one wrapped the notice over the Next button.
        self.notify(
            f"saved {elide_middle(display_path(path), NOTICE_PATH_WIDTH)}{left}", title="Saved"
        )
        return None

    def action_load(self) -> None:
        """Load answers from a cluster file."""
        from wizard.tui.dialogs.path import PathDialog

        note = "Unsaved answers will be replaced." if self.state.dirty else ""
        self.push_screen(
            PathDialog(
                "Load a cluster.toml",
                str(self.state.spec_path or "cluster.toml"),
                self._load_from,
                ok="Load",
                note=note,
            ),
            callback=self._after_load,
        )

    def _load_from(self, path: Path) -> str | None:
        try:
            spec = load_spec(path)
        except SpecError as error:
            return str(error)
        self.state.replace_spec(spec, path)
        return None

    async def _after_load(self, path: Path | None) -> None:
        if path is None:
            return
        for screen in self.made_step_screens():
            if screen.is_mounted:
                await screen.sync_from_spec()
        self._refresh_file_labels()
        self.notify(f"loaded {elide_middle(display_path(path), NOTICE_PATH_WIDTH)}", title="Loaded")
        errors = [p for p in self.state.problems() if p.severity == "error"]
        if errors and step_of_path(errors[0].path) < self.current_step:
            await self.switch_screen(self.step_screen(step_of_path(errors[0].path)))
            self._explain_block(self.current_step)

    def _refresh_file_labels(self) -> None:
        for screen in self.made_step_screens():
            if screen.is_mounted:
                screen.show_spec_file()

    # --- other screens ---

    def action_learn_layout(self) -> None:
        """Open the teaching screen for the answers so far (Esc comes back)."""
        from wizard.tui.screens.layout import LayoutScreen

        if not isinstance(self.screen, LayoutScreen):
            screen = LayoutScreen(self.state.spec)
            self.prime_breakpoints(screen)
            self.push_screen(screen)

    def action_review_directory(self) -> None:
        """Ask for a directory and open its review, judged against the wizard's current
        answers (the renew flow starts there)."""
        from wizard.tui.screens.review import open_review_dialog

        open_review_dialog(self, initial=self.state.output_dir, config=self.state.spec)

    def action_hosts(self) -> None:
        """Open the Hosts screen for the answers and the output directory (F3)."""
        from wizard.tui.screens.hosts import HostsScreen

        if not isinstance(self.screen, HostsScreen):
            self.push_screen(HostsScreen(self.state.spec, Path(self.state.output_dir)))

    def action_rotate(self) -> None:
        """Open the Rotate screen for the answers and the output directory (F4)."""
        from wizard.tui.screens.rotate import RotateScreen

        if not isinstance(self.screen, RotateScreen):
            config = str(self.state.spec_path or "cluster.toml")
            self.push_screen(
                RotateScreen(self.state.spec, Path(self.state.output_dir), config=config)
            )

    def action_review_written(self) -> None:
        """Open the review of the set this session just wrote (no question asked)."""
        from wizard.review import ReviewError
        from wizard.tui.screens.review import ReviewScreen

        result = self.state.result
        if result is None:
            return
        try:
            screen = ReviewScreen.from_directory(
                result.directory,
                config=self.state.spec,
                config_source="the wizard's answers (cluster.toml)",
                now=self.state.now,
            )
        except ReviewError as error:
            self.notify(str(error), title="No review", severity="error")
            return
        self.prime_breakpoints(screen)
        self.push_screen(screen)

    # --- help, theme, quit ---

    def action_help(self) -> None:
        """Show the keys."""
        from wizard.tui.dialogs.help import HelpDialog

        if isinstance(self.screen, HelpDialog):
            return
        from wizard.tui.app_commands import HELP_INTRO

        self.push_screen(HelpDialog(self.key_sections(), intro=HELP_INTRO))

    def key_sections(self) -> list[KeySection]:
        """The bindings of the app, the current step and the host fields, for the help."""
        from wizard.tui.app_commands import key_sections

        return key_sections(self)

    async def action_quit(self) -> None:
        """Quit; asks first when answers are unsaved (save and quit, quit, stay) or a
        generation is running."""
        from wizard.tui.dialogs.confirm import ConfirmDialog, QuitDialog

        if isinstance(self.screen, (ConfirmDialog, QuitDialog)):
            return
        if self._carrying_out() is not None:
            self._ask_quit_carrying_out()
            return
        if self.generating:

            def cancel_and_quit(quit_now: bool | None) -> None:
                if quit_now:
                    self.step_screen(4).cancel()
                    self.exit()

            self.push_screen(
                ConfirmDialog(
                    "Quit?",
                    "A generation is running; it will be cancelled and nothing written.",
                    yes="Quit",
                    no="Stay",
                ),
                cancel_and_quit,
            )
            return
        if not self.state.dirty:
            self.exit()
            return
        path = self.state.spec_path
        where = (
            f"Your answers differ from {elide_middle(display_path(path), NOTICE_PATH_WIDTH)}."
            if path
            else "Your answers are not saved in a cluster file yet."
        )
        self.push_screen(
            QuitDialog(where, save_label="Save and quit" if path else "Save as… and quit"),
            self._quit_answered,
        )

    def _carrying_out(self):  # noqa: ANN202 - the screen type is imported lazily
        """The screen carrying a rotation phase out on the hosts, while it runs (else None)."""
        from wizard.tui.screens.rotation_hosts import RotationHostsScreen

        for screen in self.screen_stack:
            if isinstance(screen, RotationHostsScreen) and screen.running == "run":
                return screen
        return None

    def _ask_quit_carrying_out(self) -> None:
        """Quit during a rotation run: cancel it first (the step running stops; the record
        keeps the steps done, so the Rotate screen's h or the printed command resumes)."""
        from wizard.tui.dialogs.confirm import ConfirmDialog

        def answered(quit_now: bool | None) -> None:
            screen = self._carrying_out()
            if quit_now and screen is not None:
                screen.cancel()
                self.exit(message=f"cancelled the rotation run; to resume: {screen.rerun}")
            elif quit_now:
                self.exit()

        self.push_screen(
            ConfirmDialog(
                "Quit?",
                "A rotation phase is being carried out on the hosts; quitting cancels it: the "
                "command running on the host stops, the steps done are kept and a rerun "
                "resumes at the first step not done.",
                yes="Cancel it and quit",
                no="Stay",
            ),
            answered,
        )

    def _quit_answered(self, choice: QuitChoice | None) -> None:
        from wizard.tui.dialogs.confirm import QuitChoice

        if choice is QuitChoice.QUIT:
            self.exit()
        elif choice is QuitChoice.SAVE:
            path = self.state.spec_path
            if path is None:
                self.action_save_as(then_quit=True)
                return
            error = self._save_to(path)
            if error:
                self.notify(error, title="Not saved — still here", severity="error")
            else:
                self.exit()

    # --- command palette ---

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The wizard's commands that apply where the palette (ctrl+p) was opened, then
        Textual's own less those the wizard has its own of (Keys: the help; Theme: ctrl+t).

        `screen` is the screen the palette was opened over. The step commands (go to a step,
        Next, Back, Save, Load, Generate…) are offered only over a step: over the review, renew
        or Learn the layout they would act on the wizard behind it, as their keys would.
        """
        on_a_step = isinstance(screen, StepScreen)
        if isinstance(screen, StepScreen):
            yield from self._step_commands(screen.STEP)
        if self.generating:
            yield SystemCommand(
                "Cancel generation",
                "Stop; nothing is written (Esc)",
                self.step_screen(4).cancel,
            )
        yield SystemCommand(
            "Toggle light/dark theme", "Switch themes (ctrl+t)", self.action_toggle_theme
        )
        if on_a_step or not hasattr(screen, "action_help"):
            yield SystemCommand(
                "Help: keys", "List every key (F1, or ? outside a text field)", self.action_help
            )
        else:  # the review, renew and Learn the layout have their own help
            yield SystemCommand(
                "Help: keys", "List this screen's keys (F1 or ?)", screen.action_help
            )
        for command in super().get_system_commands(screen):
            if command.title not in TEXTUAL_COMMANDS_REPLACED:
                yield command

    def _step_commands(self, step: int) -> Iterable[SystemCommand]:
        """The palette's commands on this step (wizard.tui.app_commands)."""
        from wizard.tui.app_commands import step_commands

        return step_commands(self, step)

    def _copy_path(self, path: Path | None) -> None:
        """Put a path, in full, on the clipboard (the terminal's, through OSC 52)."""
        if path is None:
            return
        text = os.path.abspath(path)
        self.copy_to_clipboard(text)
        self.notify(f"copied {elide_middle(text, NOTICE_PATH_WIDTH)}", title="Copied")

    async def _palette_generate(self) -> None:
        if self.current_step == 4:
            await self.run_action("screen.generate")

    async def _palette_raw(self) -> None:
        if self.current_step == 5:
            await self.run_action("screen.toggle_raw")


TEXTUAL_COMMANDS_REPLACED = frozenset({"Keys", "Theme"})
"""Textual's palette commands the wizard has its own of: Help: keys, Toggle light/dark theme."""


def make_app(
    spec: ClusterSpec | None = None,
    spec_path: Path | None = None,
    *,
    now: datetime | None = None,
) -> WizardApp:
    """The wizard, prefilled with `spec` (default: the guide's cluster) read from `spec_path`.

    `now` fixes the clock (end dates, days left, generation) for tests and screenshots.
    """
    state = WizardState(spec or ClusterSpec.example(), spec_path, now=now)
    return WizardApp(state)


def run_wizard_app(spec: ClusterSpec | None = None, spec_path: Path | None = None) -> int:
    """Run the wizard in the terminal until the user quits; the process's exit status.

    0 after a normal quit. After an unhandled exception: the answers (when changed) are saved
    aside (`save_aside`), what happened and where they are is printed, and `CRASH_EXIT`.
    """
    app = make_app(spec, spec_path)
    app.run()
    if app.crash_note is not None or app.return_code not in (None, 0):
        return CRASH_EXIT
    return 0
