"""The content of a fixture disk, decided from the seed before anything is written.

Pure data: users, registry content and file specs, each file with the classification the
capture must give it. ``writer.py`` puts it on an NTFS image.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sovmigrate.lab.windisk.description import KnownFolder, UserDescription, UserSettings
from sovmigrate.lab.windisk.domain import Domain

DOWNLOADS = "{374DE290-123F-4565-9164-39C4925E467B}"
STANDARD_FOLDERS = {
    "Desktop": "Desktop",
    "Personal": "Documents",
    "My Pictures": "Pictures",
    "My Music": "Music",
    "My Video": "Videos",
    "Favorites": "Favorites",
    DOWNLOADS: "Downloads",
}
_NAMES = [
    "amelie.durand",
    "bruno.lefevre",
    "chloe.martin",
    "david.nguyen",
    "elodie.roux",
    "francois.petit",
    "gaelle.moreau",
    "hugo.bernard",
    "ines.garcia",
    "julien.faure",
]


@dataclass
class FileSpec:
    path: str  # volume-relative, "/" separators
    owner: str
    expected: str = "selected"
    reason: str = ""
    data: bytes = b""
    size: int = -1  # > len(data): sparse tail (truncate)
    kind: str = "file"  # file | junction | placeholder
    attributes: int = 0
    streams: dict[str, bytes] = field(default_factory=dict)
    target: str = ""  # junction target, Windows path

    @property
    def final_size(self) -> int:
        return max(self.size, len(self.data))


@dataclass
class DiskPlan:
    users: list[UserDescription]
    ntuser: dict[str, dict[str, dict[str, tuple[int, object]]]]  # user -> hive content
    software: dict[str, dict[str, tuple[int, object]]]
    skipped_profiles: list[str]
    files: list[FileSpec]
    drive_data_folders: list[str]


def _blob(rng: random.Random, low: int, high: int) -> bytes:
    return rng.randbytes(rng.randint(low, high))


def _bulk(seed: int, user: str, root: str, budget: int) -> list[FileSpec]:
    """About ``budget`` bytes of documents; half of them identical across users (dedup)."""
    files: list[FileSpec] = []
    shared_rng = random.Random(f"{seed}-shared")
    own_rng = random.Random(f"{seed}-{user}")
    used, index = 0, 0
    largest = max(8_000, min(2_000_000, budget // 8))
    while used < budget:
        shared = index % 2 == 0
        rng = shared_rng if shared else own_rng
        size = rng.randint(4_000, largest)
        name = f"{'commun' if shared else 'dossier'}-{index:04d}.bin"
        sub = f"Archives/{index // 50:03d}"
        files.append(FileSpec(f"{root}/{sub}/{name}", user, data=rng.randbytes(size)))
        used += size
        index += 1
    return files


def plan_disk(
    seed: int, bulk_bytes: int, huge_file: bool, directory: Domain | None = None
) -> DiskPlan:
    """Users, hives and files of one disk; with ``directory``, the PC was joined to it.

    A joined PC keeps one local account (the first user, machine SID) beside a profile per
    directory account, each in the folder Windows names after the logon name.
    """
    rng = random.Random(seed)
    count = rng.randint(3, 4)
    names = rng.sample(_NAMES, count)
    machine = [rng.randint(10**8, 10**9 - 1) for _ in range(3)]
    accounts: list[tuple[str, str, str]] = []  # (name, SID, NetBIOS domain)
    if directory is None:
        for i, name in enumerate(names):
            accounts.append((name, "S-1-5-21-{}-{}-{}-{}".format(*machine, 1001 + i), ""))
    else:
        accounts.append((names[0], "S-1-5-21-{}-{}-{}-1001".format(*machine), ""))
        accounts += [(a.login, a.sid, directory.netbios) for a in directory.accounts]
        count = len(accounts)
    software: dict[str, dict[str, tuple[int, object]]] = {}
    profile_list = "Microsoft\\Windows NT\\CurrentVersion\\ProfileList"
    system = {
        "S-1-5-18": "%systemroot%\\system32\\config\\systemprofile",
        "S-1-5-19": "%systemroot%\\ServiceProfiles\\LocalService",
        "S-1-5-20": "%systemroot%\\ServiceProfiles\\NetworkService",
    }
    for sid, image_path in system.items():
        software[f"{profile_list}\\{sid}"] = {"ProfileImagePath": (2, image_path)}
    software["Microsoft\\Windows NT\\CurrentVersion"] = {"ProductName": (1, "Windows 10 Pro")}
    users: list[UserDescription] = []
    ntuser: dict[str, dict[str, dict[str, tuple[int, object]]]] = {}
    files: list[FileSpec] = []
    skipped = list(system)
    for i, (name, sid, netbios) in enumerate(accounts):
        # The first user's name is not ASCII; a user is named after the profile folder.
        name = name if i else f"{name.split('.')[0].title()}-Hélène"
        folder = f"Users/{name}"
        win_profile = "C:\\" + folder.replace("/", "\\")
        image_path = win_profile if i != 1 else "%SystemDrive%\\" + folder.replace("/", "\\")
        software[f"{profile_list}\\{sid}"] = {"ProfileImagePath": (2, image_path)}
        user = UserDescription(
            name=name, sid=sid, profile=folder, profile_image_path=image_path, domain=netbios
        )
        users.append(user)
        share = directory.share if directory and netbios else ""
        hive, user_files = _user(
            rng, seed, i, user, win_profile, bulk_bytes // count, huge_file, share
        )
        ntuser[name] = hive
        files += user_files
    # A stale ".bak" copy of the last user's key, as left by a failed profile load.
    bak = f"{users[-1].sid}.bak"
    software[f"{profile_list}\\{bak}"] = {"ProfileImagePath": (2, "C:\\Users\\TEMP")}
    skipped.append(bak)
    files += [
        FileSpec("Donnees/Commun/procedure.odt", "", data=_blob(rng, 1000, 9000)),
        FileSpec("Donnees/Commun/Comptes rendus/2024-01.txt", "", data=b"CR janvier\r\n"),
        FileSpec("pagefile.sys", "", "excluded", "system-file", size=1 << 20),
        FileSpec("hiberfil.sys", "", "excluded", "system-file", data=b"\0" * 4096, size=1 << 20),
    ]
    files += _system_files()
    return DiskPlan(users, ntuser, software, skipped, files, ["Donnees"])


def _system_files() -> list[FileSpec]:
    """What Windows and installers leave around: never walked, reported by folder."""
    system = [
        "Windows/System32/drivers/etc/hosts",
        "Windows/explorer.exe",
        "Program Files/Editeur/app.exe",
        "Program Files (x86)/Ancien/app.exe",
        "ProgramData/Editeur/licence.dat",
        "PerfLogs/perf.etl",
        "$Recycle.Bin/S-1-5-21-1-2-3-1001/$IABC123.txt",
        "System Volume Information/tracking.log",
        "Users/Default/NTUSER.DAT",
    ]
    files = [FileSpec(path, "", "excluded", "system-folder", data=b"MZ") for path in system]
    return [
        *files,
        FileSpec(
            "Users/Public/Documents/desktop.ini",
            "",
            "excluded",
            "shell-metadata",
            data=b"[x]",
            attributes=6,
        ),
        FileSpec("Users/Public/Documents/Note de service.txt", "", data=b"note commune\r\n"),
        # A profile folder left by a deleted account: no ProfileList entry points to it.
        FileSpec(
            "Users/ancien.agent/Documents/vieux.txt",
            "",
            "excluded",
            "not-in-profile-list",
            data=b"ancien",
        ),
    ]


def _folders(i: int, name: str, win_profile: str) -> dict[str, KnownFolder]:
    folders = {}
    for value, default in STANDARD_FOLDERS.items():
        vol = win_profile[3:].replace("\\", "/") + "/" + default
        folders[value] = KnownFolder(value, f"%USERPROFILE%\\{default}", vol)
    if i == 1:  # Documents redirected to a data folder at the drive root
        folders["Personal"] = KnownFolder(
            "Personal",
            f"C:\\Donnees\\{name}\\Mes documents",
            f"Donnees/{name}/Mes documents",
            "local",
        )
    if i == 2:  # Desktop on a file server, Pictures in OneDrive
        unc = f"\\\\srv-fichiers\\bureaux$\\{name}"
        folders["Desktop"] = KnownFolder("Desktop", unc, unc, "unc")
        vol = win_profile[3:].replace("\\", "/") + "/OneDrive/Images"
        folders["My Pictures"] = KnownFolder(
            "My Pictures", "%USERPROFILE%\\OneDrive\\Images", vol, "onedrive"
        )
    return folders


def _user(
    rng: random.Random,
    seed: int,
    i: int,
    user: UserDescription,
    win_profile: str,
    budget: int,
    huge_file: bool,
    share: str = "",
) -> tuple[dict[str, dict[str, tuple[int, object]]], list[FileSpec]]:
    name, prof = user.name, user.profile
    user.known_folders = _folders(i, name, win_profile)
    kf = {k: v.location for k, v in user.known_folders.items()}
    printer = f"\\\\srv-impr-{rng.randint(1, 9)}\\Copieur-{rng.choice(['RDC', '1er', '2e'])}"
    drive = rng.choice("GHMPSZ")
    unc = f"\\\\srv-fichiers\\{rng.choice(['service', 'projets', 'rh'])}"
    settings = UserSettings(
        # A directory user's drive is mapped to the domain's share (the lab DC serves it).
        mapped_drives={drive: share or unc},
        printers=[printer],
        default_printer=printer,
        wallpaper=f"{win_profile}\\Pictures\\fond d'écran.jpg" if i != 2 else "",
        browser_bookmarks={
            "chrome": "AppData/Local/Google/Chrome/User Data/Default/Bookmarks",
            "edge": "AppData/Local/Microsoft/Edge/User Data/Default/Bookmarks",
        },
        firefox_profiles=["AppData/Roaming/Mozilla/Firefox/Profiles/k3v9x2ab.default-release"],
        outlook_signatures=["Signature agent"],
        pst_files=[f"{prof}/AppData/Local/Microsoft/Outlook/{name}@agence.gouv.fr.pst"],
    )
    user.settings = settings
    usf = "Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\User Shell Folders"
    hive: dict[str, dict[str, tuple[int, object]]] = {
        usf: {k: (2, v.registry_value) for k, v in user.known_folders.items()},
        f"Network\\{drive}": {
            "RemotePath": (1, settings.mapped_drives[drive]),
            "ConnectionType": (4, 1),
            "ProviderType": (4, 0x20000),
        },
        "Printers\\Connections\\" + printer.replace("\\", ","): {
            "Provider": (1, "win32spl.dll"),
            "Server": (1, printer.rsplit("\\", 1)[0]),
        },
        "Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows": {
            "Device": (1, f"{printer},winspool,Ne01:")
        },
        "Control Panel\\Desktop": {"Wallpaper": (1, settings.wallpaper)},
    }
    doc = kf["Personal"]
    pics = kf["My Pictures"]
    ff = f"{prof}/{settings.firefox_profiles[0]}"
    bookmarks = (
        b'{"roots": {"bookmark_bar": {"children": [{"name": "Intranet", '
        b'"type": "url", "url": "https://intranet.agence.gouv.fr/"}]}}, "version": 1}'
    )
    long_dir = "/".join(["Sous-dossier de classement numero " + str(n) for n in range(8)])
    files = [
        FileSpec(f"{doc}/Rapport annuel.odt", name, data=_blob(rng, 2000, 40000)),
        FileSpec(f"{doc}/Été 2024/compte-rendu réunion.txt", name, data="Réunion\r\n".encode()),
        FileSpec(f"{doc}/Cafe\u0301 NFD.txt", name, data=b"nfd name"),
        FileSpec(f"{doc}/{long_dir}/fichier au chemin long.txt", name, data=b"long path"),
        FileSpec(f"{doc}/nom avec point.", name, data=b"trailing dot"),
        FileSpec(f"{doc}/nom avec espace ", name, data=b"trailing space"),
        FileSpec(
            f"{doc}/telecharge.pdf",
            name,
            data=_blob(rng, 500, 5000),
            streams={"Zone.Identifier": b"[ZoneTransfer]\r\nZoneId=3\r\n"},
        ),
        FileSpec(f"{doc}/base-creuse.vhd", name, data=b"header", size=8 << 20),
        FileSpec(f"{doc}/vide.txt", name),
        FileSpec(f"{doc}/confidentiel.dat", name, data=b"hidden system data", attributes=6),
        FileSpec(
            f"{doc}/desktop.ini",
            name,
            "excluded",
            "shell-metadata",
            data=b"[.ShellClassInfo]\r\n",
            attributes=6,
        ),
        FileSpec(f"{doc}/Fichiers Outlook/archive-2019.pst", name, data=_blob(rng, 2000, 9000)),
        FileSpec(
            f"{doc}/Lien vers Windows",
            name,
            "excluded",
            "junction",
            kind="junction",
            target="C:\\Windows",
        ),
        FileSpec(
            f"{doc}/Boucle",
            name,
            "excluded",
            "junction",
            kind="junction",
            target="C:\\" + doc.replace("/", "\\"),
        ),
        FileSpec(f"{pics}/fond d'écran.jpg", name, data=_blob(rng, 3000, 30000)),
        FileSpec(
            f"{pics}/Thumbs.db", name, "excluded", "shell-metadata", data=b"thumbs", attributes=6
        ),
        FileSpec(f"{kf['My Music']}/titre.mp3", name, data=_blob(rng, 3000, 30000)),
        FileSpec(f"{kf[DOWNLOADS]}/formulaire.pdf", name, data=_blob(rng, 1000, 9000)),
        FileSpec(
            f"{kf['Favorites']}/Intranet.url",
            name,
            data=b"[InternetShortcut]\r\nURL=https://intranet.agence.gouv.fr/\r\n",
        ),
        FileSpec(f"{prof}/Projets/plan de charge.xlsx", name, data=_blob(rng, 1000, 9000)),
        FileSpec(f"{prof}/NTUSER.DAT", name, "excluded", "registry-hive", attributes=6),
        FileSpec(
            f"{prof}/ntuser.dat.LOG1", name, "excluded", "registry-hive", data=b"log", attributes=6
        ),
        FileSpec(
            f"{prof}/ntuser.ini", name, "excluded", "registry-hive", data=b"ini", attributes=6
        ),
        FileSpec(
            f"{prof}/Application Data",
            name,
            "excluded",
            "junction",
            kind="junction",
            target=win_profile + "\\AppData\\Roaming",
        ),
        FileSpec(f"{prof}/AppData/Local/Temp/~tmp4F2A.tmp", name, "excluded", "temp", data=b"tmp"),
        FileSpec(
            f"{prof}/AppData/Local/Google/Chrome/User Data/Default/Cache/Cache_Data/f_000001",
            name,
            "excluded",
            "cache",
            data=_blob(rng, 100, 3000),
        ),
        FileSpec(f"{prof}/{settings.browser_bookmarks['chrome']}", name, data=bookmarks),
        FileSpec(f"{prof}/{settings.browser_bookmarks['edge']}", name, data=bookmarks),
        FileSpec(
            f"{prof}/AppData/Roaming/Mozilla/Firefox/profiles.ini",
            name,
            data=b"[Profile0]\r\nName=default-release\r\nIsRelative=1\r\n"
            b"Path=Profiles/k3v9x2ab.default-release\r\nDefault=1\r\n",
        ),
        FileSpec(f"{ff}/places.sqlite", name, data=b"SQLite format 3\0" + _blob(rng, 100, 900)),
        FileSpec(f"{ff}/prefs.js", name, "excluded", "appdata", data=b"// prefs"),
        FileSpec(
            f"{prof}/AppData/Local/Mozilla/Firefox/Profiles/k3v9x2ab.default-release/"
            "cache2/entries/A1B2",
            name,
            "excluded",
            "cache",
            data=b"cache",
        ),
        FileSpec(
            f"{prof}/AppData/Roaming/Microsoft/Signatures/Signature agent.htm",
            name,
            data=f"<p>{name}</p>".encode(),
        ),
        FileSpec(
            f"{prof}/AppData/Roaming/Microsoft/Signatures/Signature agent.txt",
            name,
            data=name.encode(),
        ),
        FileSpec(settings.pst_files[0], name, data=_blob(rng, 2000, 9000)),
        FileSpec(
            f"{prof}/AppData/Roaming/Editeur/config.xml",
            name,
            "excluded",
            "appdata",
            data=b"<config/>",
        ),
        FileSpec(
            f"{prof}/AppData/Local/Microsoft/Windows/UsrClass.dat",
            name,
            "excluded",
            "registry-hive",
            data=b"regf",
        ),
    ]
    if user.known_folders["Desktop"].redirect != "unc":
        desk = kf["Desktop"]
        files += [
            FileSpec(f"{desk}/notes.txt", name, data=b"penser a sauvegarder\r\n"),
            FileSpec(f"{desk}/Word.lnk", name, "excluded", "shortcut", data=b"L\0\0\0"),
            FileSpec(f"{desk}/Intranet.url", name, data=b"[InternetShortcut]\r\nURL=x\r\n"),
            FileSpec(
                f"{desk}/desktop.ini", name, "excluded", "shell-metadata", data=b"[x]", attributes=6
            ),
        ]
    if user.known_folders["My Pictures"].redirect == "onedrive":
        files += [
            FileSpec(
                f"{pics}/vacances.jpg",
                name,
                "not-migrated",
                "onedrive-placeholder",
                kind="placeholder",
                size=250_000,
            ),
            FileSpec(f"{pics}/disponible hors ligne.jpg", name, data=_blob(rng, 1000, 5000)),
        ]
    if huge_file and i == 0:
        files.append(
            FileSpec(
                f"{kf['My Video']}/camera.mkv",
                name,
                data=b"\x1aE\xdf\xa3",
                size=(4 << 30) + (1 << 20),
            )
        )
    files += _bulk(seed, name, doc, budget)
    settings.pst_files = sorted(f.path for f in files if f.path.lower().endswith(".pst"))
    return hive, files
