//! What the synth tree holds beyond the bundled core: every service with its class message and
//! RPC count. The counts are those of the real SDK where `docs/sdk-shape.md` gives them, and add
//! up to its 105 services and 1,323 RPCs; a test checks the sums.

/// One service of the tree.
pub struct Svc {
    /// gRPC service name without package.
    pub name: &'static str,
    /// The "class" message holding its request/response types, as a path below the package
    /// (`ApiLocalDB.ApiLocalDB_Category`); empty for services whose types are top-level.
    pub class: &'static str,
    /// RPCs the service ends up with, the core's and the quirk-bearing ones included.
    pub rpcs: usize,
    /// RPC names it must have: `name`, or `name=stem` when the request type is `<stem>Request`
    /// (`make1=make`: `TimeSpanTService.make1(TimeSpanT.makeRequest)`).
    pub fixed: &'static [&'static str],
}

const fn svc(
    name: &'static str,
    class: &'static str,
    rpcs: usize,
    fixed: &'static [&'static str],
) -> Svc {
    Svc {
        name,
        class,
        rpcs,
        fixed,
    }
}

/// Classes that are created and destroyed through their service (`create` is in 36 services of
/// the SDK, `destroy` in 35).
const LIFE: &[&str] = &["create", "destroy"];

/// Services in the bundled core's files: the core's own, grown to their SDK size, and the ones
/// the SDK has in those files besides.
pub const CORE_FILE_SERVICES: &[(&str, Svc)] = &[
    (
        "apichangemanager.proto",
        svc("ApiChangeManagerService", "ApiChangeManager", 8, &[]),
    ),
    (
        "apidbmaterialmanager.proto",
        svc(
            "ApiDBMaterialManagerService",
            "ApiDBMaterialManager",
            5,
            &[],
        ),
    ),
    (
        "apidbmaterialmanager.proto",
        svc(
            "ApiDBMaterialManager_DBCategoryArrayService",
            "ApiDBMaterialManager.ApiDBMaterialManager_DBCategoryArray",
            4,
            &[],
        ),
    ),
    (
        "apidbmaterialmanager.proto",
        svc(
            "ApiDBMaterialManager_DBMaterialArrayService",
            "ApiDBMaterialManager.ApiDBMaterialManager_DBMaterialArray",
            4,
            &[],
        ),
    ),
    ("apiinfo.proto", svc("ApiInfoService", "ApiInfo", 49, &[])),
    (
        "apilocaldb.proto",
        svc("ApiLocalDBService", "ApiLocalDB", 5, &[]),
    ),
    (
        "apilocaldb.proto",
        svc(
            "ApiLocalDB_CategoryService",
            "ApiLocalDB.ApiLocalDB_Category",
            14,
            &[],
        ),
    ),
    (
        "apilocaldb.proto",
        svc(
            "ApiLocalDB_PackageService",
            "ApiLocalDB.ApiLocalDB_Package",
            6,
            &[],
        ),
    ),
    (
        "apinodepininfohelper.proto",
        svc("ApiNodePinInfoExService", "ApiNodePinInfoEx", 5, &[]),
    ),
    // The item array uses the plain names ...
    (
        "apinodesystem_1.proto",
        svc(
            "ApiItemArrayService",
            "ApiItemArray",
            6,
            &["items", "begin1", "end1", "init"],
        ),
    ),
    (
        "apinodesystem_3.proto",
        svc("ApiItemService", "ApiItem", 88, &[]),
    ),
    // ... so the node array, from the same C++ header, got the overload suffix `1` (Q2).
    (
        "apinodesystem_5.proto",
        svc(
            "ApiNodeArrayService",
            "ApiNodeArray",
            6,
            &["items1=items", "begin11=begin1", "end11=end1", "init1=init"],
        ),
    ),
    (
        "apinodesystem_6.proto",
        svc("ApiNodeGraphService", "ApiNodeGraph", 27, &[]),
    ),
    (
        "apinodesystem_7.proto",
        svc("ApiNodeService", "ApiNode", 71, &["type", "destroy"]),
    ),
    (
        "apiprojectmanager.proto",
        svc("ApiProjectManagerService", "ApiProjectManager", 18, &[]),
    ),
    (
        "apirendercloudmanager.proto",
        svc(
            "ApiRenderCloudManagerService",
            "ApiRenderCloudManager",
            4,
            &[],
        ),
    ),
    (
        "apirender.proto",
        svc(
            "ApiRenderEngineService",
            "ApiRenderEngine",
            126,
            &["toString"],
        ),
    ),
    (
        "apirender.proto",
        svc("ApiRenderImageService", "ApiRenderImage", 8, &["isEmpty"]),
    ),
    (
        "octaneinfos.proto",
        svc("ApiAttributeInfoService", "ApiAttributeInfo", 1, &[]),
    ),
    (
        "octaneinfos.proto",
        svc(
            "ApiCompatibilityModeInfoService",
            "ApiCompatibilityModeInfo",
            5,
            &[],
        ),
    ),
    (
        "octaneinfos.proto",
        svc(
            "ApiCompatibilityModeInfoSetService",
            "ApiCompatibilityModeInfoSet",
            6,
            LIFE,
        ),
    ),
    (
        "octaneinfos.proto",
        svc("ApiNodePinInfoService", "ApiNodePinInfo", 1, &[]),
    ),
    (
        "octaneinfos.proto",
        svc(
            "ApiTextureNodeTypeInfoService",
            "ApiTextureNodeTypeInfo",
            4,
            LIFE,
        ),
    ),
    (
        "octaneinfos.proto",
        svc(
            "ApiTexturePinTypeInfoService",
            "ApiTexturePinTypeInfo",
            3,
            &[],
        ),
    ),
    (
        "octaneinfos.proto",
        svc(
            "ApiTextureValueTypeSetService",
            "ApiTextureValueTypeSet",
            5,
            LIFE,
        ),
    ),
    (
        "octanerenderpasses.proto",
        svc(
            "RenderResultStatisticsService",
            "RenderResultStatistics",
            4,
            &[],
        ),
    ),
    (
        "octanetime.proto",
        svc("FrameRangeTService", "FrameRangeT", 3, &["make"]),
    ),
    (
        "octanetime.proto",
        svc("TimeSpanTService", "TimeSpanT", 4, &["make1=make"]),
    ),
];

/// New files that hold services: file name, what it is about, services.
pub const SERVICE_FILES: &[(&str, &str, &[Svc])] = &[
    (
        "apianimationtimetransform.proto",
        "animation time transforms (two services, one of them with a single `type` RPC)",
        &[
            svc(
                "ApiAnimationTimeTransformService",
                "ApiAnimationTimeTransform",
                1,
                &["type"],
            ),
            svc(
                "ApiLinearTimeTransformService",
                "ApiLinearTimeTransform",
                6,
                LIFE,
            ),
        ],
    ),
    (
        "apibinaryfile.proto",
        "binary tables and groups, the SDK's two largest services after the render engine",
        &[
            svc(
                "ApiBinaryGroupService",
                "ApiBinaryGroup",
                97,
                &["create", "destroy", "isEmpty"],
            ),
            svc(
                "ApiBinaryTableService",
                "ApiBinaryTable",
                98,
                &["create1=create", "destroy1=destroy", "isEmpty1=isEmpty"],
            ),
        ],
    ),
    (
        "apicustomcurveeditorcontroller.proto",
        "a curve editor whose drawer and listener classes are nested, so their request types sit \
         three levels deep",
        &[
            svc(
                "ApiCustomCurveEditorControllerService",
                "ApiCustomCurveEditorController",
                12,
                LIFE,
            ),
            svc(
                "ApiCustomCurveEditorController_DrawerService",
                "ApiCustomCurveEditorController.ApiCustomCurveEditorController_Drawer",
                9,
                &["setColor", "setClipRegionAndFillBackground"],
            ),
            svc(
                "ApiCustomCurveEditorController_ListenerService",
                "ApiCustomCurveEditorController.ApiCustomCurveEditorController_Listener",
                1,
                &["onVisualChange"],
            ),
        ],
    ),
    (
        "apiimageinfo.proto",
        "image and layer infos (file named unlike its services)",
        &[
            svc("ImageInfoService", "ImageInfo", 4, &[]),
            svc("LayerInfoService", "LayerInfo", 5, &["type"]),
        ],
    ),
    (
        "apimodule.proto",
        "module infos: four services in one file",
        &[
            svc(
                "ApiCommandModuleInfoService",
                "ApiCommandModuleInfo",
                5,
                LIFE,
            ),
            svc("ApiModuleGlobalService", "ApiModuleGlobal", 8, &[]),
            svc(
                "ApiNodeGraphModuleInfoService",
                "ApiNodeGraphModuleInfo",
                9,
                LIFE,
            ),
            svc(
                "ApiWorkPaneModuleInfoService",
                "ApiWorkPaneModuleInfo",
                6,
                LIFE,
            ),
        ],
    ),
    (
        "apimouselistener.proto",
        "mouse events",
        &[
            svc("ApiMouseEventService", "ApiMouseEvent", 4, &[]),
            svc("ApiMouseListenerService", "ApiMouseListener", 3, LIFE),
            svc(
                "ApiMouseWheelDetailsService",
                "ApiMouseWheelDetails",
                2,
                &[],
            ),
        ],
    ),
    (
        "octanenet.proto",
        "net render status and socket addresses",
        &[
            svc("NetRenderStatusService", "NetRenderStatus", 3, &[]),
            svc("SocketAddressService", "SocketAddress", 4, &[]),
        ],
    ),
    (
        "octanevolume.proto",
        "VDB volumes: three services",
        &[
            svc("VdbGridInfoService", "VdbGridInfo", 6, &["type"]),
            svc("VdbGridSamplerService", "VdbGridSampler", 4, LIFE),
            svc("VdbInfoService", "VdbInfo", 7, &[]),
        ],
    ),
    (
        "apinodesystem_8.proto",
        "node system, part 8: the root node graph",
        &[svc("ApiRootNodeGraphService", "ApiRootNodeGraph", 14, LIFE)],
    ),
    (
        "apitilegrid.proto",
        "tile grids (file named unlike its service)",
        &[svc(
            "ApiTileGridLoaderService",
            "ApiTileGridLoader",
            5,
            LIFE,
        )],
    ),
    (
        "control.proto",
        "application control; its class nests an `ApiLogRequest` that shadows the top-level one",
        &[svc("ApiControlService", "ApiControl", 10, &[])],
    ),
    (
        "octaneimageexport.proto",
        "image export settings",
        &[svc(
            "ImageExportSettingsService",
            "ImageExportSettings",
            6,
            LIFE,
        )],
    ),
    (
        "apimaterialx.proto",
        "MaterialX (file named unlike its service)",
        &[svc(
            "ApiMaterialXGlobalService",
            "ApiMaterialXGlobal",
            4,
            &[],
        )],
    ),
    (
        "apiimagebuffer.proto",
        "image buffers: `Buffer` fields and a `type` RPC",
        &[svc(
            "ApiImageBufferService",
            "ApiImageBuffer",
            41,
            &["type", "destroy"],
        )],
    ),
    (
        "apifilename.proto",
        "file names",
        &[svc("ApiFileNameService", "ApiFileName", 30, LIFE)],
    ),
    (
        "apimodulenodegraph.proto",
        "module node graphs",
        &[svc(
            "ApiModuleNodeGraphService",
            "ApiModuleNodeGraph",
            49,
            LIFE,
        )],
    ),
    (
        "apithread.proto",
        "threads: an RPC named `yield`",
        &[svc("ApiThreadService", "ApiThread", 4, &["yield"])],
    ),
    (
        "apidiagnostics.proto",
        "diagnostics",
        &[svc("ApiDiagnosticsService", "ApiDiagnostics", 1, &[])],
    ),
    (
        "apitimesampling.proto",
        "time sampling",
        &[svc("ApiTimeSamplingService", "ApiTimeSampling", 1, &[])],
    ),
    (
        "apibase64.proto",
        "base64: a `bytes` response field",
        &[svc("ApiBase64Service", "ApiBase64", 3, &[])],
    ),
    (
        "apiimage.proto",
        "images",
        &[svc("ApiImageService", "ApiImage", 27, LIFE)],
    ),
    (
        "apiguicomponent.proto",
        "GUI components",
        &[svc("ApiGuiComponentService", "ApiGuiComponent", 26, &[])],
    ),
    (
        "apigeometryexporter.proto",
        "geometry export",
        &[svc(
            "ApiGeometryExporterService",
            "ApiGeometryExporter",
            9,
            LIFE,
        )],
    ),
    (
        "apiocioconfig.proto",
        "OCIO configs",
        &[svc("ApiOcioConfigService", "ApiOcioConfig", 12, LIFE)],
    ),
    (
        "apiocioconfigloader.proto",
        "OCIO config loading",
        &[svc(
            "ApiOcioConfigLoaderService",
            "ApiOcioConfigLoader",
            6,
            LIFE,
        )],
    ),
    (
        "apiociocontextmanager.proto",
        "OCIO contexts",
        &[svc(
            "ApiOcioContextManagerService",
            "ApiOcioContextManager",
            8,
            &[],
        )],
    ),
    (
        "apioutputcolorspaceinfo.proto",
        "output colour spaces",
        &[svc(
            "ApiOutputColorSpaceInfoService",
            "ApiOutputColorSpaceInfo",
            7,
            LIFE,
        )],
    ),
    (
        "apisharedsurface.proto",
        "shared surfaces",
        &[svc("ApiSharedSurfaceService", "ApiSharedSurface", 6, LIFE)],
    ),
    (
        "apiselectionmanager.proto",
        "selection",
        &[svc(
            "ApiSelectionManagerService",
            "ApiSelectionManager",
            14,
            &[],
        )],
    ),
    (
        "apisceneoutliner.proto",
        "scene outliner",
        &[svc("ApiSceneOutlinerService", "ApiSceneOutliner", 5, LIFE)],
    ),
    (
        "apinodegrapheditor.proto",
        "node graph editor",
        &[svc(
            "ApiNodeGraphEditorService",
            "ApiNodeGraphEditor",
            11,
            LIFE,
        )],
    ),
    (
        "apinodeinspector.proto",
        "node inspector",
        &[svc("ApiNodeInspectorService", "ApiNodeInspector", 5, LIFE)],
    ),
    (
        "apirenderview.proto",
        "render view",
        &[svc("ApiRenderViewService", "ApiRenderView", 12, LIFE)],
    ),
    (
        "apiprojectworkspace.proto",
        "project workspace",
        &[svc(
            "ApiProjectWorkspaceService",
            "ApiProjectWorkspace",
            6,
            &[],
        )],
    ),
    (
        "apimainwindow.proto",
        "main window",
        &[svc("ApiMainWindowService", "ApiMainWindow", 3, &[])],
    ),
    (
        "apiwindow.proto",
        "windows",
        &[svc("ApiWindowService", "ApiWindow", 9, LIFE)],
    ),
    (
        "apitextbutton.proto",
        "text buttons",
        &[svc("ApiTextButtonService", "ApiTextButton", 4, LIFE)],
    ),
    (
        "apicheckbox.proto",
        "check boxes",
        &[svc("ApiCheckBoxService", "ApiCheckBox", 5, LIFE)],
    ),
    (
        "apicombobox.proto",
        "combo boxes",
        &[svc("ApiComboBoxService", "ApiComboBox", 6, LIFE)],
    ),
    (
        "apilabel.proto",
        "labels",
        &[svc("ApiLabelService", "ApiLabel", 4, LIFE)],
    ),
    (
        "apitexteditor.proto",
        "text editors",
        &[svc("ApiTextEditorService", "ApiTextEditor", 6, LIFE)],
    ),
    (
        "apinumericbox.proto",
        "numeric boxes",
        &[svc("ApiNumericBoxService", "ApiNumericBox", 7, LIFE)],
    ),
    (
        "apicolorswatch.proto",
        "colour swatches",
        &[svc("ApiColorSwatchService", "ApiColorSwatch", 5, LIFE)],
    ),
    (
        "apifilechooser.proto",
        "file choosers",
        &[svc("ApiFileChooserService", "ApiFileChooser", 7, LIFE)],
    ),
    (
        "apigridlayout.proto",
        "grid layouts",
        &[svc("ApiGridLayoutService", "ApiGridLayout", 11, LIFE)],
    ),
    (
        "apititlecomponent.proto",
        "title components",
        &[svc(
            "ApiTitleComponentService",
            "ApiTitleComponent",
            3,
            LIFE,
        )],
    ),
    (
        "apiimagecomponent.proto",
        "image components",
        &[svc(
            "ApiImageComponentService",
            "ApiImageComponent",
            3,
            LIFE,
        )],
    ),
    (
        "apiprogressbar.proto",
        "progress bars",
        &[svc("ApiProgressBarService", "ApiProgressBar", 5, LIFE)],
    ),
    (
        "apicollapsiblepanelstack.proto",
        "collapsible panel stacks",
        &[svc(
            "ApiCollapsiblePanelStackService",
            "ApiCollapsiblePanelStack",
            5,
            LIFE,
        )],
    ),
    (
        "apimodaldialog.proto",
        "modal dialogs: a nested `DialogResult` enum next to the top-level one",
        &[svc("ApiModalDialogService", "ApiModalDialog", 7, LIFE)],
    ),
    (
        "apicaches.proto",
        "caches",
        &[svc("ApiCachesService", "ApiCaches", 6, &[])],
    ),
    (
        "apilogmanager.proto",
        "logging",
        &[svc("ApiLogManagerService", "ApiLogManager", 5, &[])],
    ),
    (
        "apisceneexporter.proto",
        "scene export",
        &[svc("ApiSceneExporterService", "ApiSceneExporter", 5, LIFE)],
    ),
    (
        "apireferencegraph.proto",
        "reference graphs",
        &[svc("ApiReferenceGraphService", "ApiReferenceGraph", 8, &[])],
    ),
    (
        "apilocalization.proto",
        "localization",
        &[svc("ApiLocalizationService", "ApiLocalization", 3, &[])],
    ),
    (
        "apisettings.proto",
        "settings",
        &[svc("ApiSettingsService", "ApiSettings", 9, &[])],
    ),
    (
        "apinetrendermanager.proto",
        "net rendering: chunked `bytes` downloads",
        &[svc(
            "ApiNetRenderManagerService",
            "ApiNetRenderManager",
            11,
            &[],
        )],
    ),
    (
        "apipackagemanager.proto",
        "packages",
        &[svc("ApiPackageManagerService", "ApiPackageManager", 6, &[])],
    ),
    (
        "apimeshbuilder.proto",
        "mesh building",
        &[svc("ApiMeshBuilderService", "ApiMeshBuilder", 8, LIFE)],
    ),
    (
        "apianimationexporter.proto",
        "animation export",
        &[svc(
            "ApiAnimationExporterService",
            "ApiAnimationExporter",
            5,
            LIFE,
        )],
    ),
];

/// Types-only files beyond the core's four.
pub const TYPE_FILES: &[(&str, &str)] = &[
    ("apiarray.proto", "arrays of API objects (types only)"),
    (
        "apidialogfeedback.proto",
        "dialog results; the top-level `DialogResult` enum (types only)",
    ),
    ("apiplugin.proto", "plugin descriptions (types only)"),
    (
        "octanechangeevent.proto",
        "change events; enum value names shared with nested enums (types only)",
    ),
    (
        "octanecallbacktypes.proto",
        "callback payload structs (types only)",
    ),
    (
        "octanerendersettings.proto",
        "a settings snapshot that uses field numbers up to 34 (types only)",
    ),
];
